//! `nurture report` against `nurture run` on the reference workload: `cargo bench --bench
//! report` (BENCHMARKS.md, "The report").
//!
//! One process, one workload (benches/support/workload.rs `reference`, 1,000,000 events over
//! 100,000 leads for benches/reference.nurture; NURTURE_BENCH_SIZE=small|1m|10m), read from
//! memory through the same line reader by both:
//! - run: `Engine::feed` on every line, each action serialised as `run` writes it;
//! - report: `report::run` (the engine with the report's collector) and the report made
//!   from it, in JSON.
//!
//! They alternate, run then report, NURTURE_BENCH_REPS times (5); each pair gives a ratio
//! report/run, and the median ratio is printed with the lowest and highest. The target is at
//! most 1.5.

use nurture::runtime::engine::{Engine, Options};
use nurture::runtime::lines::{Lines, Text};
use nurture::vm::action::Action;
use nurture::vm::machine::Sink;
use std::time::Instant;

#[path = "support/workload.rs"]
#[allow(dead_code)]
mod workload;

const CAMPAIGN: &str = include_str!("reference.nurture");

/// Writes each action as `nurture run` does, into a buffer emptied as it fills.
struct Serialise {
    buf: Vec<u8>,
    bytes: u64,
}

impl Sink for Serialise {
    fn action(&mut self, a: Action) {
        if a.kind.is_membership() {
            return;
        }
        nurture::runtime::output::write_line(&a, &mut self.buf);
        if self.buf.len() > 1 << 16 {
            self.bytes += self.buf.len() as u64;
            self.buf.clear();
        }
    }
}

fn run(compiled: nurture::compile::Compiled, input: &[u8]) -> u64 {
    let mut engine = Engine::from_compiled(compiled, &Options::default());
    let mut sink = Serialise {
        buf: Vec::with_capacity(1 << 17),
        bytes: 0,
    };
    let mut lines = Lines::new(input);
    while let Some(line) = lines.next_line().expect("reads memory") {
        if let Text::Bytes(b) = line.text {
            let text = std::str::from_utf8(b).expect("the workload is UTF-8");
            engine.feed(text, line.number, &mut sink);
        }
    }
    sink.bytes + sink.buf.len() as u64
}

fn report(compiled: nurture::compile::Compiled, input: &[u8]) -> usize {
    let r = nurture::report::run(compiled, input, None).expect("a report");
    serde_json::to_string(&r).expect("JSON").len()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let testing = !std::env::args().any(|a| a == "--bench");
    let size = workload::Size::from_env(testing);
    let reps: usize = if testing {
        1
    } else {
        std::env::var("NURTURE_BENCH_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
    };
    let (_, program) = nurture::check::check_text(CAMPAIGN);
    let program = program.expect("the reference campaign checks");
    // Compiled afresh for each (outside the timing): a run consumes its program.
    let compiled = || nurture::compile::compile(&program).expect("compiles");
    let mut input = String::new();
    for l in workload::reference(42, size) {
        input.push_str(&l);
        input.push('\n');
    }
    println!("workload: {} MB of events", input.len() / 1_000_000);
    let (mut runs, mut reports, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let c = compiled();
        let started = Instant::now();
        let out = run(c, input.as_bytes());
        let ran = started.elapsed().as_secs_f64();
        let c = compiled();
        let started = Instant::now();
        let json = report(c, input.as_bytes());
        let reported = started.elapsed().as_secs_f64();
        println!(
            "run {ran:.2}s ({} MB of actions), report {reported:.2}s ({json} bytes of JSON): {:.2}",
            out / 1_000_000,
            reported / ran
        );
        runs.push(ran);
        reports.push(reported);
        ratios.push(reported / ran);
    }
    let (lo, hi) = (
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "median over {reps} pairs: run {:.2}s, report {:.2}s; report/run {:.2} (lowest {lo:.2}, highest {hi:.2}; target at most 1.50)",
        median(&mut runs),
        median(&mut reports),
        median(&mut ratios)
    );
}
