//! `nurture worker` over NATS JetStream: `cargo bench --bench cluster` (BENCHMARKS.md).
//!
//! The reference campaign (benches/reference.nurture) over the reference workload
//! (benches/support/workload.rs, seed 42; NURTURE_BENCH_SIZE=small|1m, small by default:
//! 12,000 events over 600 leads), 8 partitions, all on this machine, side by side in one run:
//! - `nurture run --until` on the events file (the real binary, its whole process);
//! - 1, 2 and 4 `nurture worker`s against a fresh `nats-server -js` holding the same events
//!   (published and ticked before the workers start): events/s from the workers' start until
//!   every partition's last record is covered by a checkpoint (`cluster status`), and the
//!   ratios to `run` and to one worker;
//! - `cluster publish`'s own rate, for reference.
//!
//! Each runs NURTURE_BENCH_REPS times (3); the median is printed with the smallest and
//! largest. Needs `nats-server` on PATH (skipped with a message otherwise). `cargo test
//! --benches` runs it once, tiny.

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/workload.rs"]
#[allow(dead_code)]
mod workload;

#[path = "support/measure.rs"]
mod measure;
use measure::spread;

const CAMPAIGN: &str = include_str!("reference.nurture");
const NURTURE: &str = env!("CARGO_BIN_EXE_nurture");
const UNTIL: &str = "2026-05-01T00:00:00Z";

fn on_path(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|d| d.join(program).is_file())
}

/// Kills what it holds when dropped.
struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn nurture(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new(NURTURE)
        .current_dir(dir)
        .env("NURTURE_NATS_URL", url)
        .env("NURTURE_LOG", "error")
        .args(args)
        .output()
        .expect("nurture runs");
    assert!(
        out.status.success(),
        "nurture {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `nurture run --until`: seconds.
fn run(dir: &Path) -> f64 {
    let started = Instant::now();
    let status = Command::new(NURTURE)
        .current_dir(dir)
        .args(["run", "c.nurture", "--events", "e.jsonl", "--until", UNTIL])
        .args(["--out", "/dev/null"])
        .stderr(Stdio::null())
        .status()
        .expect("nurture runs");
    assert!(status.success());
    started.elapsed().as_secs_f64()
}

/// A fresh server with the events published and ticked, then `workers` workers: seconds to
/// publish, seconds for the workers to cover everything with checkpoints.
fn cluster(dir: &Path, workers: usize) -> (f64, f64) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = tempfile::tempdir().unwrap();
    let server = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let mut children = Killed(vec![server]);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("nats://127.0.0.1:{port}");
    nurture(dir, &url, &["cluster", "init", "--partitions", "8"]);
    let started = Instant::now();
    nurture(dir, &url, &["cluster", "publish", "--events", "e.jsonl"]);
    nurture(dir, &url, &["cluster", "tick", "--until", UNTIL]);
    let published = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for w in 0..workers {
        let child = Command::new(NURTURE)
            .current_dir(dir)
            .env("NURTURE_NATS_URL", &url)
            .env("NURTURE_LOG", "error")
            .args(["worker", "c.nurture", "--name", &format!("w{w}")])
            .stderr(Stdio::null())
            .spawn()
            .expect("a worker starts");
        children.0.push(child);
    }
    loop {
        let status: Value =
            serde_json::from_str(&nurture(dir, &url, &["cluster", "status", "--json"])).unwrap();
        let done = status["partitions"].as_array().unwrap().iter().all(|p| {
            p["last_event"].as_u64() > Some(0) && p["checkpoint"]["seq"] == p["last_event"]
        });
        if done {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (published, started.elapsed().as_secs_f64())
}

fn main() {
    if !on_path("nats-server") {
        println!("skipped: this bench needs nats-server (apt-get install nats-server)");
        return;
    }
    let (testing, size, reps) = measure::settings();
    let mut lines = workload::reference(42, size);
    if testing {
        lines.truncate(1_000);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.nurture"), CAMPAIGN).unwrap();
    std::fs::write(dir.path().join("e.jsonl"), lines.join("\n") + "\n").unwrap();
    let n = lines.len() as f64;
    println!(
        "workload: {} calls, 8 partitions, {reps} repetitions",
        lines.len()
    );
    let counts = [1usize, 2, 4];
    let mut run_rates = vec![];
    let mut publish_rates = vec![];
    let mut rates: Vec<Vec<f64>> = vec![vec![]; counts.len()];
    let mut to_run: Vec<Vec<f64>> = vec![vec![]; counts.len()];
    let mut to_one: Vec<Vec<f64>> = vec![vec![]; counts.len()];
    for _ in 0..reps {
        let r = n / run(dir.path());
        run_rates.push(r);
        let mut one = 0.0;
        for (i, &w) in counts.iter().enumerate() {
            let (published, took) = cluster(dir.path(), w);
            publish_rates.push(n / published);
            let rate = n / took;
            if i == 0 {
                one = rate;
            }
            rates[i].push(rate);
            to_run[i].push(rate / r);
            to_one[i].push(rate / one);
        }
    }
    let show = |name: &str, xs: Vec<f64>, unit: &str| {
        let (m, lo, hi) = spread(xs);
        println!("{name:<34} {m:>12.2}{unit}  (min {lo:.2}, max {hi:.2})");
    };
    show("run --until, events/s", run_rates, "");
    show("cluster publish, events/s", publish_rates, "");
    for (i, w) in counts.iter().enumerate() {
        show(&format!("{w} worker(s), events/s"), rates[i].clone(), "");
        show(&format!("{w} worker(s) / run"), to_run[i].clone(), "x");
        show(&format!("{w} worker(s) / 1 worker"), to_one[i].clone(), "x");
    }
}
