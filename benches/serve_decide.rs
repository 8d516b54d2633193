//! `GET /v1/leads/{id}/decide/{name}` on a real `nurture serve`, from a real HTTP client:
//! `cargo bench --bench serve_decide` (BENCHMARKS.md, "Decisions").
//!
//! The service runs benches/decide.nurture (the four-row decision of benches/decide.rs) with
//! 20,000 leads fed over `/v1/batch` first (a spread of states: most reach `else`, some stop
//! at each earlier row). Then one client on one kept-alive connection asks, in turn, for
//! `/healthz` (HTTP alone: the handler answers without the core thread),
//! `GET /v1/leads/{id}` (HTTP, the hop to the core thread and the lead as JSON), the decision
//! for the same lead, and the decision for an id never seen (a new lead made and dropped),
//! each request timed from sending to the last byte of the answer. NURTURE_BENCH_REQUESTS
//! (3,000) of each per repetition, NURTURE_BENCH_REPS (3) repetitions after a warm-up; prints
//! p50 and p99 of each as the median over the repetitions with the smallest and largest, and
//! the decision's p50 less the lead's and less the health check's, paired within each
//! repetition. `cargo test --benches` runs it once, tiny.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[path = "support/workload.rs"]
#[allow(dead_code)]
mod workload;

#[path = "support/measure.rs"]
#[allow(dead_code)]
mod measure;
use measure::{env_or, spread};

#[path = "support/service.rs"]
mod service;

const CAMPAIGN: &str = include_str!("decide.nurture");

/// The Segment calls that put lead `i` in its state: its attributes, and the events that
/// make each row the first to hold for some leads.
fn calls(i: u32) -> Vec<Value> {
    let id = format!("lead-{i}");
    let plan = if i % 16 == 5 { "pro" } else { "free" };
    let mut out = vec![json!({
        "type": "identify", "userId": id,
        "traits": { "email": format!("{id}@example.com"), "plan": plan, "company_size": (i % 5) * 100 },
    })];
    if i % 4 == 1 {
        out.push(json!({ "type": "track", "userId": id, "event": "ebook.downloaded", "properties": { "title": "Guide" } }));
    }
    if i % 8 == 3 {
        for _ in 0..2 {
            out.push(json!({ "type": "track", "userId": id, "event": "pricing.viewed", "properties": { "section": "teams" } }));
        }
    }
    out
}

/// Feeds every lead's calls, 100 a batch, each acknowledged before the next.
async fn feed(client: &reqwest::Client, url: &str, leads: u32) {
    let all: Vec<Value> = (0..leads).flat_map(calls).collect();
    for (b, chunk) in all.chunks(100).enumerate() {
        let batch: Vec<Value> = (chunk.iter().enumerate())
            .map(|(i, c)| {
                let mut c = c.clone();
                c["messageId"] = format!("feed-{b}-{i}").into();
                c
            })
            .collect();
        let answer = client
            .post(format!("{url}/v1/batch"))
            .json(&json!({ "batch": batch }))
            .send()
            .await
            .expect("the service answers");
        assert!(answer.status().is_success(), "{}", answer.status());
    }
}

/// One GET, timed to the last byte of its answer; the answer.
async fn get(client: &reqwest::Client, url: &str) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let answer = client.get(url).send().await.expect("the service answers");
    assert!(answer.status().is_success(), "{url}: {}", answer.status());
    let body = answer.bytes().await.expect("the whole answer");
    let took = started.elapsed();
    (took, body.to_vec())
}

const KINDS: [&str; 4] = [
    "/healthz",
    "GET /v1/leads/{id}",
    "decide, a known lead",
    "decide, a lead never seen",
];

/// `requests` of each kind, in turn, over leads spread through the population: each kind's
/// latencies, sorted.
async fn round(
    client: &reqwest::Client,
    url: &str,
    leads: u32,
    requests: usize,
) -> [Vec<Duration>; 4] {
    let mut took: [Vec<Duration>; 4] = Default::default();
    for k in 0..requests {
        let id = format!("lead-{}", (k as u64 * 7_919 % leads as u64));
        let urls = [
            format!("{url}/healthz"),
            format!("{url}/v1/leads/{id}"),
            format!("{url}/v1/leads/{id}/decide/homepage_cta"),
            format!("{url}/v1/leads/visitor-{k}/decide/homepage_cta"),
        ];
        for (kind, u) in urls.iter().enumerate() {
            took[kind].push(get(client, u).await.0);
        }
    }
    for t in &mut took {
        t.sort();
    }
    took
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6
}

fn main() {
    let (testing, _, reps) = measure::settings();
    let (leads, requests) = if testing {
        (200, 30)
    } else {
        (20_000, env_or("NURTURE_BENCH_REQUESTS", 3_000))
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("c.nurture"), CAMPAIGN).unwrap();
    let service = service::start(dir.path(), "c.nurture", "live.db", &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let url = service.url.clone();
    runtime.block_on(feed(&client, &url, leads));

    // The answers are real: a pro lead gets the first row, a stranger the `else`.
    let answer = |path: &str| -> Value {
        let (_, body) = runtime.block_on(get(&client, &format!("{url}{path}")));
        serde_json::from_slice(&body).expect("JSON")
    };
    let pro = answer("/v1/leads/lead-5/decide/homepage_cta");
    assert_eq!(pro["value"], "upgrade-plan", "{pro}");
    let stranger = answer("/v1/leads/nobody/decide/homepage_cta");
    assert_eq!(
        (stranger["new_lead"].as_bool(), stranger["else"].as_bool()),
        (Some(true), Some(true))
    );

    println!("{leads} leads in the service, {requests} requests of each kind a repetition, {reps} repetitions");
    runtime.block_on(round(&client, &url, leads, requests.min(500)));
    let mut p50: [Vec<f64>; 4] = Default::default();
    let mut p99: [Vec<f64>; 4] = Default::default();
    let (mut over_lead, mut over_health) = (vec![], vec![]);
    for _ in 0..reps {
        let took = runtime.block_on(round(&client, &url, leads, requests));
        for kind in 0..4 {
            p50[kind].push(percentile(&took[kind], 0.50));
            p99[kind].push(percentile(&took[kind], 0.99));
        }
        let last = p50[2].len() - 1;
        over_lead.push(p50[2][last] - p50[1][last]);
        over_health.push(p50[2][last] - p50[0][last]);
    }
    println!("{:<28} {:>24} {:>24}", "µs, median (range)", "p50", "p99");
    for (kind, name) in KINDS.iter().enumerate() {
        let (m, lo, hi) = spread(p50[kind].clone());
        let (n, nlo, nhi) = spread(p99[kind].clone());
        println!(
            "{name:<28} {:>24} {:>24}",
            format!("{m:.0} ({lo:.0}–{hi:.0})"),
            format!("{n:.0} ({nlo:.0}–{nhi:.0})")
        );
    }
    let (m, lo, hi) = spread(over_lead);
    println!("decide p50 less lead p50: {m:.0} µs ({lo:.0}–{hi:.0})");
    let (m, lo, hi) = spread(over_health);
    println!("decide p50 less /healthz p50: {m:.0} µs ({lo:.0}–{hi:.0})");
    drop(service);
}
