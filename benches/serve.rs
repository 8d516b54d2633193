//! `nurture serve` under load: `cargo bench --bench serve` (BENCHMARKS.md).
//!
//! The reference campaign (benches/reference.nurture) over the reference workload
//! (benches/support/workload.rs, seed 42; NURTURE_BENCH_SIZE=small|1m, small by default here:
//! 12,000 events over 600 leads), measured in one process, side by side:
//! - `nurture run --state` on the events as a file (the real binary, its whole process);
//! - `nurture serve --deliver` (the real binary) fed the same events over `/v1/batch`, 100 a
//!   batch from 8 concurrent clients, every action delivered to a receiver in this process:
//!   sustained events/s from the first request to the last acknowledgement, and its ratio to
//!   `run --state`;
//! - acknowledgement latency at a fixed 5,000 events/s (50 batches a second) for
//!   NURTURE_BENCH_SECONDS (5): p50 and p99.
//!
//! Each runs NURTURE_BENCH_REPS times (3) on a fresh state; the median is printed with the
//! smallest and largest. `cargo test --benches` runs it once, tiny.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/workload.rs"]
#[allow(dead_code)]
mod workload;

#[path = "support/measure.rs"]
mod measure;
use measure::{env_or, spread};

#[path = "support/service.rs"]
mod service;

const CAMPAIGN: &str = include_str!("reference.nurture");
const BATCH: usize = 100;
const CLIENTS: usize = 8;
const NURTURE: &str = env!("CARGO_BIN_EXE_nurture");

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `nurture run --state` over the events file: seconds.
fn run_state(dir: &Path) -> f64 {
    let _ = std::fs::remove_file(dir.join("run.db"));
    let started = Instant::now();
    let status = Command::new(NURTURE)
        .current_dir(dir)
        .args([
            "run",
            "c.nurture",
            "--events",
            "e.jsonl",
            "--state",
            "run.db",
            "--out",
            "/dev/null",
        ])
        .stderr(Stdio::null())
        .status()
        .expect("nurture runs");
    assert!(status.success(), "nurture run failed");
    started.elapsed().as_secs_f64()
}

/// The service on the reference campaign, delivering every action to the receiver.
fn serve(dir: &Path, db: &str) -> service::Service {
    let extra = ["--deliver", "routes.toml", "--log-format", "json"];
    service::start(dir, "c.nurture", db, &extra)
}

/// A receiver that takes every delivery and counts it.
async fn receiver() -> (String, Arc<AtomicU64>) {
    let got = Arc::new(AtomicU64::new(0));
    let count = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |_body: axum::body::Bytes| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

async fn post(client: &reqwest::Client, url: &str, body: String) -> Duration {
    let started = Instant::now();
    let answer = client
        .post(format!("{url}/v1/batch"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the service answers");
    assert!(answer.status().is_success(), "{}", answer.status());
    started.elapsed()
}

/// All the batches from 8 clients as fast as they are acknowledged: seconds.
async fn sustained(url: &str, batches: &[String]) -> f64 {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (client, next, url) = (client.clone(), next.clone(), url.to_string());
        let batches = batches.to_vec();
        clients.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(body) = batches.get(i) else { break };
                post(&client, &url, body.clone()).await;
            }
        });
    }
    while clients.join_next().await.is_some() {}
    started.elapsed().as_secs_f64()
}

/// A batch every 20 ms (5,000 events/s) for `seconds`: each acknowledgement's latency.
async fn paced(url: &str, batches: &[String], seconds: u64) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut sent = tokio::task::JoinSet::new();
    let count = (seconds * 50) as usize;
    for body in batches.iter().cycle().take(count) {
        tick.tick().await;
        let (client, url, body) = (client.clone(), url.to_string(), body.clone());
        sent.spawn(async move { post(&client, &url, body).await });
    }
    let mut took = Vec::with_capacity(count);
    while let Some(t) = sent.join_next().await {
        took.push(t.unwrap());
    }
    took.sort();
    took
}

/// The workload as batches of 100 Segment calls, each with a message id.
fn batches(lines: &[String], tag: &str) -> Vec<String> {
    lines
        .chunks(BATCH)
        .enumerate()
        .map(|(b, chunk)| {
            let calls: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut v: Value = serde_json::from_str(l).unwrap();
                    v["messageId"] = format!("{tag}-{b}-{i}").into();
                    v
                })
                .collect();
            serde_json::json!({ "batch": calls }).to_string()
        })
        .collect()
}

fn main() {
    let (testing, size, reps) = measure::settings();
    let seconds = if testing {
        1
    } else {
        env_or("NURTURE_BENCH_SECONDS", 5)
    };
    let mut lines = workload::reference(42, size);
    if testing {
        lines.truncate(1_000);
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("c.nurture"), CAMPAIGN).unwrap();
    std::fs::write(dir.path().join("e.jsonl"), lines.join("\n") + "\n").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (hook, delivered) = runtime.block_on(receiver());
    std::fs::write(
        dir.path().join("routes.toml"),
        format!("[[route]]\nurl = \"{hook}\"\n"),
    )
    .unwrap();
    println!(
        "workload: {} calls, {} batches of {BATCH}, {CLIENTS} clients, {reps} repetitions",
        lines.len(),
        lines.len().div_ceil(BATCH)
    );
    let n = lines.len() as f64;
    let (mut run_rates, mut serve_rates, mut ratios) = (vec![], vec![], vec![]);
    for rep in 0..reps {
        let run = run_state(dir.path());
        let service = serve(dir.path(), "serve.db");
        let all = batches(&lines, &format!("s{rep}"));
        let served = runtime.block_on(sustained(&service.url, &all));
        drop(service);
        run_rates.push(n / run);
        serve_rates.push(n / served);
        ratios.push(run / served);
    }
    let show = |name: &str, (m, lo, hi): (f64, f64, f64)| {
        println!("{name:<44} {m:>12.0}   ({lo:.0} to {hi:.0})");
    };
    show("nurture run --state, events/s", spread(run_rates));
    show(
        "nurture serve over /v1/batch, events/s",
        spread(serve_rates),
    );
    let (m, lo, hi) = spread(ratios);
    println!(
        "{:<44} {m:>12.2}   ({lo:.2} to {hi:.2})",
        "serve / run --state"
    );

    let mut p50s = vec![];
    let mut p99s = vec![];
    for rep in 0..reps {
        let service = serve(dir.path(), "paced.db");
        let all = batches(&lines, &format!("p{rep}"));
        let took = runtime.block_on(paced(&service.url, &all, seconds));
        p50s.push(percentile(&took, 0.50).as_secs_f64() * 1000.0);
        p99s.push(percentile(&took, 0.99).as_secs_f64() * 1000.0);
    }
    let (m, lo, hi) = spread(p50s);
    println!(
        "{:<44} {m:>9.1} ms   ({lo:.1} to {hi:.1})",
        "ack latency at 5,000 events/s, p50"
    );
    let (m, lo, hi) = spread(p99s);
    println!(
        "{:<44} {m:>9.1} ms   ({lo:.1} to {hi:.1})",
        "ack latency at 5,000 events/s, p99"
    );
    println!("deliveries received: {}", delivered.load(Ordering::Relaxed));
    assert!(
        delivered.load(Ordering::Relaxed) > 0,
        "actions were delivered"
    );
}
