//! `nurture worker` over NATS JetStream: `cargo bench --bench cluster` (BENCHMARKS.md).
//!
//! The reference campaign (benches/reference.nurture) over the reference workload
//! (benches/support/workload.rs, seed 42; NURTURE_BENCH_SIZE=small|1m, small by default:
//! 12,000 events over 600 leads), 8 partitions, all on this machine, side by side in one run:
//! - `nurture run --until` on the events file (the real binary, its whole process);
//! - 1, 2 and 4 `nurture worker`s against a fresh `nats-server -js` holding the same events
//!   (published and ticked before the workers start), with the default checkpoint policy
//!   (every 50,000 events or 5 s, and at once when a partition has caught up with its
//!   stream): events/s from the workers' start until every partition's last record is
//!   applied and covered by a checkpoint (`cluster status`), the ratios to `run` and to one
//!   worker, and the CPU seconds the workers and nats-server spent meanwhile;
//! - `cluster publish`'s own rate, for reference;
//! - the same worker counts again, on the events published with `--pack 100`
//!   (NURTURE_BENCH_PACK=N for another size, 0 to leave it out): up to 100 lines of a
//!   partition a message.
//!
//! NURTURE_BENCH_WORKERS=1,2,4 picks the worker counts; NURTURE_BENCH_KEEP=1 only writes the
//! campaign and events to a directory it prints and keeps (to profile by hand).
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

/// CPU seconds (user and system) of process `pid` so far, or with `children`, of the
/// children it has waited for: /proc/PID/stat counts them in clock ticks, 100 a second on
/// Linux.
fn cpu(pid: u32, children: bool) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis: state is the first (field 3).
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    let at = if children { 13 } else { 11 }; // cutime, cstime or utime, stime
    fields
        .get(at..at + 2)
        .map_or(0.0, |t| (t[0] + t[1]) / 100.0)
}

/// `nurture run --until`: seconds, and its CPU seconds.
fn run(dir: &Path) -> (f64, f64) {
    let before = cpu(std::process::id(), true);
    let started = Instant::now();
    let status = Command::new(NURTURE)
        .current_dir(dir)
        .args(["run", "c.nurture", "--events", "e.jsonl", "--until", UNTIL])
        .args(["--out", "/dev/null"])
        .stderr(Stdio::null())
        .status()
        .expect("nurture runs");
    assert!(status.success());
    let took = started.elapsed().as_secs_f64();
    (took, cpu(std::process::id(), true) - before)
}

/// One cluster's measure.
struct Measure {
    /// Seconds to publish the events and tick.
    published: f64,
    /// Seconds from the workers' start until every record is covered by a checkpoint.
    took: f64,
    /// CPU seconds meanwhile: the workers together, and nats-server.
    workers_cpu: f64,
    nats_cpu: f64,
}

/// A fresh server with the events published (`--pack pack`) and ticked, then `workers`
/// workers with the default checkpoint policy, until every partition's last record is
/// covered by a checkpoint.
fn cluster(dir: &Path, workers: usize, pack: usize) -> Measure {
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
    let nats = server.id();
    let mut children = Killed(vec![server]);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("nats://127.0.0.1:{port}");
    nurture(dir, &url, &["cluster", "init", "--partitions", "8"]);
    let started = Instant::now();
    let pack = pack.to_string();
    let publish = ["cluster", "publish", "--events", "e.jsonl", "--pack", &pack];
    nurture(dir, &url, &publish);
    nurture(dir, &url, &["cluster", "tick", "--until", UNTIL]);
    let published = started.elapsed().as_secs_f64();
    let nats_before = cpu(nats, false);
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
    // Each look is a `cluster status` process: often enough to end within a fifth of a
    // second, seldom enough not to take much of the two cores the cluster runs on.
    loop {
        let status: Value =
            serde_json::from_str(&nurture(dir, &url, &["cluster", "status", "--json"])).unwrap();
        let done = status["partitions"].as_array().unwrap().iter().all(|p| {
            p["last_event"].as_u64() > Some(0) && p["checkpoint"]["seq"] == p["last_event"]
        });
        if done {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let took = started.elapsed().as_secs_f64();
    Measure {
        published,
        took,
        workers_cpu: children.0[1..].iter().map(|c| cpu(c.id(), false)).sum(),
        nats_cpu: cpu(nats, false) - nats_before,
    }
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
    if std::env::var_os("NURTURE_BENCH_KEEP").is_some() {
        // For profiling by hand: the campaign and events stay.
        println!("kept: {}", dir.keep().display());
        return;
    }
    println!(
        "workload: {} calls, 8 partitions, {reps} repetitions",
        lines.len()
    );
    // NURTURE_BENCH_WORKERS picks the worker counts (a profile needs only one); the ratios
    // to one worker need 1 first.
    let counts: Vec<usize> = std::env::var("NURTURE_BENCH_WORKERS")
        .unwrap_or_else(|_| "1,2,4".into())
        .split(',')
        .map(|w| {
            w.trim()
                .parse()
                .expect("NURTURE_BENCH_WORKERS: counts, comma-separated")
        })
        .collect();
    let pack: usize = std::env::var("NURTURE_BENCH_PACK")
        .ok()
        .map(|p| p.parse().expect("NURTURE_BENCH_PACK: a number of lines"))
        .unwrap_or(100);
    // Events a message, then packed (unless NURTURE_BENCH_PACK=0).
    let packings: Vec<usize> = if pack > 0 { vec![1, pack] } else { vec![1] };
    let mut run_rates = vec![];
    let mut run_cpu = vec![];
    let mut publish_rates = vec![];
    let mut series: Vec<Series> = packings
        .iter()
        .flat_map(|&pack| {
            counts
                .iter()
                .map(move |&workers| Series::new(workers, pack))
        })
        .collect();
    let per_million = 1e6 / n;
    for rep in 0..reps {
        let (took, cpu) = run(dir.path());
        let r = n / took;
        println!("repetition {}: run {took:.2}s ({cpu:.1} CPU s)", rep + 1);
        run_rates.push(r);
        run_cpu.push(cpu * per_million);
        let mut one = 0.0;
        for s in &mut series {
            let m = cluster(dir.path(), s.workers, s.pack);
            println!(
                "repetition {}: {} {:.2}s (CPU s: workers {:.1}, nats-server {:.1}); publish {:.2}s",
                rep + 1,
                s.name(),
                m.took,
                m.workers_cpu,
                m.nats_cpu,
                m.published
            );
            if s.pack == 1 {
                publish_rates.push(n / m.published);
            }
            let rate = n / m.took;
            // The ratios are to the first count of the same packing (1 worker).
            if s.workers == counts[0] {
                one = rate;
            }
            s.rates.push(rate);
            s.to_run.push(rate / r);
            s.to_one.push(rate / one);
            s.workers_cpu.push(m.workers_cpu * per_million);
            s.nats_cpu.push(m.nats_cpu * per_million);
        }
    }
    show("run --until, events/s", run_rates, "");
    show("run --until, CPU s per 1M events", run_cpu, "");
    show("cluster publish, events/s", publish_rates, "");
    for s in series {
        let name = s.name();
        show(&format!("{name}, events/s"), s.rates, "");
        show(&format!("{name} / run"), s.to_run, "x");
        show(&format!("{name} / 1 worker"), s.to_one, "x");
        show(&format!("{name}, their CPU s per 1M"), s.workers_cpu, "");
        show(&format!("{name}, nats-server CPU s per 1M"), s.nats_cpu, "");
    }
}

fn show(name: &str, xs: Vec<f64>, unit: &str) {
    let (m, lo, hi) = spread(xs);
    println!("{name:<50} {m:>12.2}{unit}  (min {lo:.2}, max {hi:.2})");
}

/// One worker count on one packing, over the repetitions.
struct Series {
    workers: usize,
    pack: usize,
    rates: Vec<f64>,
    to_run: Vec<f64>,
    to_one: Vec<f64>,
    /// CPU seconds a million events cost the workers together, and nats-server.
    workers_cpu: Vec<f64>,
    nats_cpu: Vec<f64>,
}

impl Series {
    fn new(workers: usize, pack: usize) -> Series {
        Series {
            workers,
            pack,
            rates: vec![],
            to_run: vec![],
            to_one: vec![],
            workers_cpu: vec![],
            nats_cpu: vec![],
        }
    }

    fn name(&self) -> String {
        match self.pack {
            1 => format!("{} worker(s)", self.workers),
            p => format!("{} worker(s), --pack {p}", self.workers),
        }
    }
}
