//! The reference benchmark: `cargo bench --bench reference` (BENCHMARKS.md).
//!
//! One process, one workload (benches/support/workload.rs `reference`, for the campaign in
//! benches/reference.nurture), measured side by side:
//! - (a) JSON intake alone: every line parsed and checked against the schema (the parse ceiling);
//! - (b) the VM on records parsed beforehand (`Machine::track`/`identify` only);
//! - (c) the whole `nurture run` pipeline: `Engine::feed` and each action serialised as `run`
//!   writes it;
//! - (d) the native baseline (benches/support/native.rs) on events parsed beforehand;
//! - (e) peers: the scoring rules and list conditions alone in rhai and in cel-interpreter,
//!   next to the VM running a campaign cut down to the same scores and lists.
//!
//! Size: NURTURE_BENCH_SIZE=small|1m|10m (1m by default: 1,000,000 events over 100,000 leads;
//! `cargo test --benches` runs small). Peers run on a prefix of the events
//! (NURTURE_BENCH_PEER_EVENTS, 200,000 by default) since they are far slower. Each stage runs
//! NURTURE_BENCH_REPS times (3) on fresh state and the median is reported (cel-interpreter
//! once); NURTURE_BENCH_STAGES=bd runs only the stages named.

use nurture::runtime::engine::{Engine, Options};
use nurture::runtime::intake::Reader;
use nurture::runtime::record::{Intake, Record, RecordKind};
use nurture::vm::action::Action;
use nurture::vm::machine::{EventRef, Sink};
use std::time::Instant;

#[path = "support/native.rs"]
#[allow(dead_code)]
mod native;
#[path = "support/peers.rs"]
mod peers;
#[path = "support/workload.rs"]
#[allow(dead_code)]
mod workload;

const CAMPAIGN: &str = include_str!("reference.nurture");

/// Counts actions, dropping them (the VM's cost without output).
struct Drop(u64);

impl Sink for Drop {
    fn action(&mut self, a: Action) {
        self.0 += 1;
        std::hint::black_box(a);
    }
}

/// Serialises each action as `nurture run` writes it (memberships only with --memberships).
struct Serialise {
    actions: u64,
    bytes: u64,
}

impl Sink for Serialise {
    fn action(&mut self, a: Action) {
        if a.kind.is_membership() {
            return;
        }
        self.actions += 1;
        self.bytes += nurture::runtime::output::line(&a).len() as u64 + 1;
    }
}

/// Peak resident memory since the last reset, in MB (VmHWM), and resets it.
fn peak_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    // Writing 5 to clear_refs resets the peak to the current resident size.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    Some(kb / 1024.0)
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0)
        / 1024.0
}

struct Row {
    name: String,
    events: usize,
    secs: f64,
    peak: Option<f64>,
    note: String,
}

fn main() {
    let testing = !std::env::args().any(|a| a == "--bench");
    let size = workload::Size::from_env(testing);
    let peer_events: usize = if testing {
        2_000
    } else {
        std::env::var("NURTURE_BENCH_PEER_EVENTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200_000)
    };
    let (_, leads, days) = size.shape();
    let (diags, program) = nurture::check::check_text(CAMPAIGN);
    assert!(diags.is_empty(), "benches/reference.nurture checks clean");
    let program = program.expect("the reference campaign checks");
    let started = Instant::now();
    let lines = workload::reference(42, size);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "workload: {} lines ({} MB) for {leads} leads over {days} days, generated in {:.1}s",
        lines.len(),
        bytes / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    let n = lines.len();
    // NURTURE_BENCH_STAGES=b,d runs only those stages (for profiling one of them).
    let stages = std::env::var("NURTURE_BENCH_STAGES").unwrap_or_else(|_| "abcde".into());
    let want = |s: char| stages.contains(s);
    // Each stage runs NURTURE_BENCH_REPS times (3; once under `cargo test`) and reports the
    // median.
    let reps: usize = match testing {
        true => 1,
        false => std::env::var("NURTURE_BENCH_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3),
    };
    let mut rows: Vec<Row> = Vec::new();
    peak_mb();

    // (a) Intake alone.
    if want('a') {
        let (secs, peak, _) = median_of(reps, || {
            let mut reader = Reader::new(&program, false);
            let mut texts = nurture::compile::expr::Texts::default();
            let mut record = Record::default();
            let before = rss_mb();
            peak_mb();
            let t = Instant::now();
            for (i, l) in lines.iter().enumerate() {
                std::hint::black_box(reader.read(l, i as u64 + 1, &mut texts, &mut record));
            }
            (t.elapsed().as_secs_f64(), peak_mb().map(|p| p - before), ())
        });
        rows.push(Row {
            name: "(a) JSON intake alone".into(),
            events: n,
            secs,
            peak,
            note: "parse + schema check, the ceiling".into(),
        });
    }

    // (b) The VM on records parsed beforehand.
    let mut state_per_lead = 0;
    if want('b') {
        let records = parse_all(&program, &lines);
        let (secs, peak, (actions, per_lead)) = median_of(reps, || {
            let mut engine = Engine::new(&program, &Options::default()).expect("compiles");
            let before = rss_mb();
            peak_mb();
            let mut sink = Drop(0);
            let t = Instant::now();
            for r in &records {
                feed_record(&mut engine.machine, r, &mut sink);
            }
            let secs = t.elapsed().as_secs_f64();
            let peak = peak_mb().map(|p| p - before);
            let s = engine.summary();
            (secs, peak, (sink.0, s.state_bytes / s.leads.max(1)))
        });
        state_per_lead = per_lead;
        rows.push(Row {
            name: "(b) VM, records parsed".into(),
            events: records.len(),
            secs,
            peak,
            note: format!("{actions} actions incl. memberships, {per_lead} B state/lead"),
        });
    }

    // (c) The whole pipeline.
    if want('c') {
        let (secs, peak, sink) = median_of(reps, || {
            let mut engine = Engine::new(&program, &Options::default()).expect("compiles");
            let mut sink = Serialise {
                actions: 0,
                bytes: 0,
            };
            let before = rss_mb();
            peak_mb();
            let t = Instant::now();
            for (i, l) in lines.iter().enumerate() {
                engine.feed(l, i as u64 + 1, &mut sink);
            }
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(engine.summary().rejected, 0, "the workload is valid input");
            (secs, peak_mb().map(|p| p - before), sink)
        });
        rows.push(Row {
            name: "(c) nurture run pipeline".into(),
            events: n,
            secs,
            peak,
            note: format!(
                "{} actions, {} MB of output",
                sink.actions,
                sink.bytes / 1_000_000
            ),
        });
    }

    // (d) The native baseline.
    let inputs: Vec<native::Input> = lines.iter().filter_map(|l| native::parse(l)).collect();
    let mut baseline = f64::NAN;
    if want('d') {
        let (secs, peak, actions) = median_of(reps, || {
            let before = rss_mb();
            peak_mb();
            let mut nat = native::Native::new();
            let mut out = native::Count::default();
            let t = Instant::now();
            for r in &inputs {
                nat.feed(r, &mut out);
            }
            (
                t.elapsed().as_secs_f64(),
                peak_mb().map(|p| p - before),
                out.0,
            )
        });
        baseline = inputs.len() as f64 / secs;
        rows.push(Row {
            name: "(d) native Rust baseline".into(),
            events: inputs.len(),
            secs,
            peak,
            note: format!(
                "{actions} actions, {} B state/lead",
                native::Native::lead_bytes()
            ),
        });
    }

    // (e) Peers, on a prefix, next to the VM on the same part of the campaign.
    let prefix = &inputs[..peer_events.min(inputs.len())];
    if want('e') {
        let scoring = scoring_only(CAMPAIGN);
        let (_, sp) = nurture::check::check_text(&scoring);
        let sp = sp.expect("the scoring part checks");
        let prefix_lines: Vec<String> = lines
            .iter()
            .filter(|l| native::parse(l).is_some())
            .take(prefix.len())
            .cloned()
            .collect();
        let records = parse_all(&sp, &prefix_lines);
        // These two take a quarter of a second: more runs steady their median.
        let (secs, _, changes) = median_of(3 * reps, || {
            let mut engine = Engine::new(&sp, &Options::default()).expect("compiles");
            let mut sink = Drop(0);
            let t = Instant::now();
            for r in &records {
                feed_record(&mut engine.machine, r, &mut sink);
            }
            (t.elapsed().as_secs_f64(), None, sink.0)
        });
        rows.push(Row {
            name: "(e) VM, scores + lists only".into(),
            events: records.len(),
            secs,
            peak: None,
            note: format!("{changes} membership changes"),
        });
        let (secs, _, ()) = median_of(3 * reps, || {
            let mut nat = native::Native::new();
            let mut out = native::Count::default();
            let t = Instant::now();
            for r in prefix {
                nat.feed(r, &mut out);
            }
            (t.elapsed().as_secs_f64(), None, ())
        });
        rows.push(Row {
            name: "(e) native, whole campaign".into(),
            events: prefix.len(),
            secs,
            peak: None,
            note: "the same prefix, for scale".into(),
        });
        let mut r = peers::Rhai::new();
        let mut c = peers::Cel::new();
        // cel-interpreter takes ~20 s a run on 2 cores: it runs once.
        for (p, reps) in [(&mut r as &mut dyn peers::Peer, reps), (&mut c, 1)] {
            let name = p.name();
            let (secs, _, changes) = median_of(reps, || {
                let t = Instant::now();
                let changes = peers::run(p, prefix);
                (t.elapsed().as_secs_f64(), None, changes)
            });
            rows.push(Row {
                name: format!("(e) {name}, scores + lists"),
                events: prefix.len(),
                secs,
                peak: None,
                note: format!("{changes} membership changes"),
            });
        }
    }

    println!(
        "\n{:<30} {:>10} {:>14} {:>9} {:>10}  notes",
        "stage", "events", "events/s", "vs native", "+peak MB"
    );
    for r in &rows {
        let rate = r.events as f64 / r.secs;
        println!(
            "{:<30} {:>10} {:>14.0} {:>9.3} {:>10}  {}",
            r.name,
            r.events,
            rate,
            rate / baseline,
            r.peak.map_or("-".into(), |p| format!("{p:.0}")),
            r.note
        );
    }
    println!(
        "\n+peak MB: the stage's peak resident memory (VmHWM) over what was resident before it \
         (the input lines, and for (b) and (d) the records parsed beforehand, are not counted).\n\
         state: VM {state_per_lead} B/lead (engine summary), native {} B/lead (size of its struct)",
        native::Native::lead_bytes()
    );
}

/// The campaign cut down to its schema, events, scores and lists: what the peers evaluate.
fn scoring_only(source: &str) -> String {
    let end = source.find("\non ").expect("the triggers follow the lists");
    format!("{}\n// nurture: ignore-file unused-event\n", &source[..end])
}

/// Every usable line as a record, in order (skipped lines left out, as the engine leaves
/// them out). A record carries its own texts, so records serve any engine.
fn parse_all(program: &nurture::check::Program, lines: &[String]) -> Vec<Record> {
    let mut reader = Reader::new(program, false);
    let mut texts = nurture::compile::expr::Texts::default();
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let mut record = Record::default();
        if let Intake::Record = reader.read(l, i as u64 + 1, &mut texts, &mut record) {
            out.push(record);
        }
    }
    out
}

/// Runs a stage `reps` times, each on fresh state, and keeps the run of median time (with
/// its peak memory and result): one slow or fast run on a shared machine moves nothing.
fn median_of<T>(
    reps: usize,
    mut run: impl FnMut() -> (f64, Option<f64>, T),
) -> (f64, Option<f64>, T) {
    let mut runs: Vec<(f64, Option<f64>, T)> = (0..reps.max(1)).map(|_| run()).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs.swap_remove(runs.len() / 2)
}

fn feed_record(m: &mut nurture::vm::machine::Machine, r: &Record, sink: &mut dyn Sink) {
    match &r.kind {
        RecordKind::Identify { traits, .. } => m.identify(&r.lead, r.at, traits, &r.texts, sink),
        RecordKind::Track { event, props } => {
            let ev = EventRef {
                event: *event as u16,
                props,
                texts: &r.texts,
            };
            m.track(&r.lead, r.at, ev, sink);
        }
    }
}
