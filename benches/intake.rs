//! How fast the intake reads Segment track lines: `cargo bench --bench intake`.
//!
//! The workload is 100,000 generated track lines for the contract campaign
//! (tests/fixtures/contract.nurture), spread over its events (prelude ones and its own, one
//! under its Segment name), with the keys in Segment's usual order and a `messageId` to skip.
//! The figure is lines per second through `Reader::read` into one reused `Record`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nurture::compile::expr::Texts;
use nurture::runtime::intake::Reader;
use nurture::runtime::record::{Intake, Record};
use std::hint::black_box;

const LINES: usize = 100_000;

fn lines() -> Vec<String> {
    let templates = [
        "welcome-brand-values",
        "product-offer",
        "offer-a",
        "offer-b",
    ];
    let urls = ["/pricing", "/", "/blog/how-to-choose-a-bike", "/checkout"];
    (0..LINES)
        .map(|i| {
            let user = i % 5_000;
            let secs = i % 60;
            let millis = i % 1000;
            let at = format!("2026-03-02T09:{:02}:{secs:02}.{millis:03}Z", (i / 60) % 60);
            let (event, props) = match i % 6 {
                0 | 1 => (
                    "email.opened",
                    format!(r#"{{"template":"{}"}}"#, templates[i % 4]),
                ),
                2 => (
                    "page.viewed",
                    format!(
                        r#"{{"url":"{}","title":"Page {i}","referrer":"https://search.example/"}}"#,
                        urls[i % 4]
                    ),
                ),
                3 => (
                    "Ebook Downloaded",
                    r#"{"title":"The complete guide"}"#.to_string(),
                ),
                4 => (
                    "cart.abandoned",
                    format!(r#"{{"cart_value":{}.5,"items":{}}}"#, i % 300, i % 7 + 1),
                ),
                _ => (
                    "order.placed",
                    format!(r#"{{"order_id":"o-{i}","total":{}.99}}"#, i % 500),
                ),
            };
            format!(
                r#"{{"type":"track","messageId":"msg-{i}","userId":"user-{user}","event":"{event}","properties":{props},"timestamp":"{at}"}}"#
            )
        })
        .collect()
}

fn intake(c: &mut Criterion) {
    let source = include_str!("../tests/fixtures/contract.nurture");
    let (diags, program) = nurture::check::check_text(source);
    let program = program.unwrap_or_else(|| panic!("the contract campaign must check: {diags:?}"));
    let lines = lines();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();

    let mut reader = Reader::new(&program, true);
    let mut texts = Texts::default();
    let mut out = Record::default();
    // Every line must be a record, or the benchmark measures early exits.
    for (n, line) in lines.iter().enumerate() {
        let got = reader.read(line, n as u64 + 1, &mut texts, &mut out);
        assert_eq!(got, Intake::Record, "line {}: {line}", n + 1);
    }

    let mut group = c.benchmark_group("intake");
    group.sample_size(20);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("track lines", |b| {
        b.iter(|| {
            for (n, line) in lines.iter().enumerate() {
                let got = reader.read(black_box(line), n as u64 + 1, &mut texts, &mut out);
                black_box(&got);
            }
            black_box(&out);
        })
    });
    group.finish();
    eprintln!(
        "intake workload: {} lines, {:.1} MB",
        lines.len(),
        bytes as f64 / 1e6
    );
}

criterion_group!(benches, intake);
criterion_main!(benches);
