//! End-to-end speed of `nurture run`: `cargo bench --bench run`.
//!
//! Generates the reference workload (benches/support/workload.rs: by default 1,000,000
//! events over 100,000 leads in 30 days; set NURTURE_BENCH_EVENTS and NURTURE_BENCH_LEADS
//! to change it) for the contract campaign, then times, in the same process:
//! - intake alone: parsing and checking every line against the schema (the parse ceiling);
//! - the whole engine: intake, VM, timers and action output (written to a counting sink).
//!
//! - with NURTURE_BENCH_STATE=1: the whole engine with its state in a SQLite database
//!   (`--state`), committed every 100,000 lines (the default).
//!
//! Prints events per second for each, their ratio, and the bytes of state per lead.

use nurture::runtime::engine::{Engine, Options};
use nurture::runtime::intake::Reader;
use nurture::runtime::record::Record;
use nurture::vm::action::Action;
use nurture::vm::machine::Sink;
use std::time::Instant;

#[path = "support/workload.rs"]
mod workload;

struct Count(u64);

impl Sink for Count {
    fn action(&mut self, a: Action) {
        // Serialise as `run` does, so output cost is part of the figure.
        self.0 += nurture::runtime::output::line(&a).len() as u64;
    }
}

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs with a tiny size.
    let testing = !std::env::args().any(|a| a == "--bench");
    let events = if testing {
        2_000
    } else {
        env("NURTURE_BENCH_EVENTS", 1_000_000)
    };
    let leads = if testing {
        200
    } else {
        env("NURTURE_BENCH_LEADS", 100_000)
    };
    let source = include_str!("../tests/fixtures/contract.nurture");
    let (_, program) = nurture::check::check_text(source);
    let program = program.expect("the contract checks");
    let lines = workload::lines(42, leads, events, 30);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "workload: {} lines ({} MB), {leads} leads, 30 days",
        lines.len(),
        bytes / 1_000_000
    );

    // Intake alone.
    let mut reader = Reader::new(&program, false);
    let mut texts = nurture::compile::expr::Texts::default();
    let mut record = Record::default();
    let started = Instant::now();
    for (i, l) in lines.iter().enumerate() {
        std::hint::black_box(reader.read(l, i as u64 + 1, &mut texts, &mut record));
    }
    let intake = started.elapsed().as_secs_f64();

    // The whole engine.
    let mut engine = Engine::new(&program, &Options::default()).expect("compiles");
    let mut sink = Count(0);
    let started = Instant::now();
    for (i, l) in lines.iter().enumerate() {
        engine.feed(l, i as u64 + 1, &mut sink);
    }
    let total = started.elapsed().as_secs_f64();
    let s = engine.summary();

    let n = lines.len() as f64;
    println!("{:<28} {:>14} {:>10}", "stage", "lines/s", "ratio");
    println!(
        "{:<28} {:>14.0} {:>10}",
        "intake alone (ceiling)",
        n / intake,
        "1.00"
    );
    println!(
        "{:<28} {:>14.0} {:>10.2}",
        "whole engine",
        n / total,
        intake / total
    );
    println!(
        "actions {} ({} suppressed), rejected {}, state {} bytes/lead over {} leads, output {} MB",
        s.stats.actions,
        s.stats.suppressed,
        s.rejected,
        s.state_bytes / s.leads.max(1),
        s.leads,
        sink.0 / 1_000_000
    );
    assert_eq!(s.rejected, 0, "the workload is valid input");

    // With NURTURE_BENCH_STATE=1 (or under `cargo test`): the same engine with `--state`, its
    // lead state committed to a SQLite database every 100,000 lines (the default) and at the end, as
    // `nurture run --state` does.
    if testing || std::env::var_os("NURTURE_BENCH_STATE").is_some() {
        use nurture::runtime::store::{Position, Store, DEFAULT_COMMIT_EVERY};
        let dir = tempfile::tempdir().expect("temp dir");
        let compiled = nurture::compile::compile(&program).expect("compiles");
        let bytes = compiled.to_bytes();
        let mut engine = Engine::from_compiled(compiled, &Options::default());
        let db = dir.path().join("state.db");
        Store::create(&db).expect("makes the state database");
        let mut store = Store::open(&db, false).expect("opens");
        let mut position = Position::default();
        store
            .init(&bytes, None, &mut engine, &position)
            .expect("starts the state");
        let mut sink = Count(0);
        let started = Instant::now();
        for (i, l) in lines.iter().enumerate() {
            engine.feed(l, i as u64 + 1, &mut sink);
            if ((i + 1) as u64).is_multiple_of(DEFAULT_COMMIT_EVERY) {
                position.line = i as u64 + 1;
                store.commit(&mut engine, &position).expect("commits");
            }
        }
        position.done = true;
        store.commit(&mut engine, &position).expect("commits");
        let stated = started.elapsed().as_secs_f64();
        println!(
            "{:<28} {:>14.0} {:>10.2}   ({:.2}x the in-memory engine's time)",
            "whole engine, --state",
            n / stated,
            intake / stated,
            stated / total
        );
        assert_eq!(
            engine.summary().stats.actions,
            s.stats.actions,
            "the same run"
        );
    }
}
