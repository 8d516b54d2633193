//! How long `nurture check` takes on a large campaign: `cargo bench --bench check`.
//!
//! The workload is generated in memory (benches/support/campaign.rs): a campaign of at least
//! 10,000 lines with every kind of declaration. The figure is the time to parse, resolve,
//! type-check and lint it, as `check_source` does for `nurture check`.
//!
//! `NURTURE_BENCH_CAMPAIGN=FILE cargo bench --bench check` also writes the campaign to FILE,
//! to time `nurture check FILE` as a whole process (the README's figure).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

#[path = "support/campaign.rs"]
mod campaign;

/// The size of the reference workload, in lines.
const LINES: usize = 10_000;

fn check(c: &mut Criterion) {
    let source = campaign::campaign(LINES);
    let lines = source.lines().count();
    if let Some(path) = std::env::var_os("NURTURE_BENCH_CAMPAIGN") {
        std::fs::write(&path, &source).expect("writes NURTURE_BENCH_CAMPAIGN");
    }
    // A campaign that does not check would measure an early exit, not the checker.
    let checked = nurture::check::check_source("bench.nurture", source.as_bytes());
    assert_eq!(
        checked.report.errors(),
        0,
        "the benchmark campaign must check without errors: {:?}",
        checked.report.diagnostics.first()
    );

    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(source.len() as u64));
    group.bench_function(format!("campaign_{lines}_lines"), |b| {
        b.iter(|| nurture::check::check_source("bench.nurture", black_box(source.as_bytes())))
    });
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
