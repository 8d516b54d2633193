//! `nurture cluster` and `nurture worker` against a real `nats-server -js` (docs/cluster.md):
//! on a generated stream of 100,000 events over 10,000 leads in 8 partitions, the actions in
//! the actions stream are exactly those of `nurture run --until` on the same file, each once,
//! with two workers; with a worker killed (SIGKILL) mid-stream and a third started; with
//! nats-server itself killed and restarted mid-stream; and with a worker stopped by SIGTERM,
//! whose partitions move without waiting for the lease TTL.
//!
//! Needs `nats-server` (Debian's package of that name): `cargo test --features external
//! --test cluster`.

#![cfg(feature = "external")]

mod external;

#[path = "../benches/support/workload.rs"]
#[allow(dead_code)]
mod workload;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const NURTURE: &str = env!("CARGO_BIN_EXE_nurture");
const CAMPAIGN: &str = include_str!("../benches/reference.nurture");
const UNTIL: &str = "2026-04-20T00:00:00Z";
const PARTITIONS: &str = "8";

/// The scenarios share the machine's two cores: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The events (two halves, to stop or break things between them) and what `run` gives.
struct Fixture {
    dir: tempfile::TempDir,
    expected: BTreeMap<String, String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let lines = workload::reference_shaped(7, 100_000, 10_000, 30);
        assert!(lines.len() >= 100_000);
        let half = lines.len() / 2;
        let write = |name: &str, lines: &[String]| {
            let mut text = lines.join("\n");
            text.push('\n');
            std::fs::write(dir.path().join(name), text).expect("write events");
        };
        write("events.jsonl", &lines);
        write("first.jsonl", &lines[..half]);
        write("second.jsonl", &lines[half..]);
        std::fs::write(dir.path().join("c.nurture"), CAMPAIGN).expect("write the campaign");
        let out = dir.path().join("run.jsonl");
        let status = Command::new(NURTURE)
            .current_dir(dir.path())
            .args([
                "run",
                "c.nurture",
                "--events",
                "events.jsonl",
                "--until",
                UNTIL,
            ])
            .arg("--out")
            .arg(&out)
            .stderr(Stdio::null())
            .status()
            .expect("run nurture");
        assert!(status.success(), "nurture run");
        let expected = by_id(&std::fs::read_to_string(&out).expect("run's actions"));
        assert!(expected.len() > 10_000, "the workload gives many actions");
        Fixture { dir, expected }
    })
}

/// Actions by id; panics on an id seen twice.
fn by_id(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("an action record");
        let id = v["id"].as_str().expect("an id").to_string();
        if let Some(before) = out.insert(id.clone(), line.to_string()) {
            panic!("action id {id} twice:\n{before}\n{line}");
        }
    }
    out
}

/// A `nats-server -js` of the test's own, on a free port with its own store.
struct Nats {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

impl Nats {
    fn start() -> Nats {
        external::require("nats-server", "nats-server");
        let mut nats = Nats {
            port: external::free_port(),
            store: tempfile::tempdir().expect("a store directory"),
            child: None,
        };
        nats.launch();
        nats
    }

    fn launch(&mut self) {
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: the server dies at once, as in a crash.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster over a server: the nurture commands, and the workers started.
struct Cluster<'a> {
    nats: Nats,
    fixture: &'a Fixture,
    workers: BTreeMap<String, Child>,
}

impl<'a> Cluster<'a> {
    fn new(lease_ttl: &str) -> Cluster<'a> {
        let cluster = Cluster {
            nats: Nats::start(),
            fixture: fixture(),
            workers: BTreeMap::new(),
        };
        cluster.nurture(&[
            "cluster",
            "init",
            "--partitions",
            PARTITIONS,
            "--lease-ttl",
            lease_ttl,
        ]);
        cluster
    }

    fn dir(&self) -> &Path {
        self.fixture.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(NURTURE);
        c.current_dir(self.dir())
            .env("NURTURE_NATS_URL", self.nats.url())
            .env(
                "NURTURE_LOG",
                std::env::var("NURTURE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .args(args);
        c
    }

    /// Runs a command to its end; its standard output.
    fn nurture(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run nurture");
        assert!(
            out.status.success(),
            "nurture {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    fn publish(&self, file: &str) {
        self.nurture(&["cluster", "publish", "--events", file]);
    }

    fn tick(&self) {
        self.nurture(&["cluster", "tick", "--until", UNTIL]);
    }

    fn start_worker(&mut self, name: &str) {
        let state: PathBuf = self.dir().join(format!("worker-{name}-{}", self.nats.port));
        let child = self
            .command(&[
                "worker",
                "c.nurture",
                "--name",
                name,
                "--checkpoint-every",
                "2000",
                "--checkpoint-interval",
                "300ms",
            ])
            .arg("--dir")
            .arg(state)
            .stdout(Stdio::null())
            .spawn()
            .expect("start a worker");
        self.workers.insert(name.to_string(), child);
    }

    fn signal(&mut self, name: &str, signal: &str) {
        let mut child = self.workers.remove(name).expect("a worker of that name");
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let _ = child.wait();
    }

    fn status(&self) -> Value {
        serde_json::from_str(&self.nurture(&["cluster", "status", "--json"])).expect("status JSON")
    }

    /// Waits until every event published is covered by a checkpoint.
    fn wait_caught_up(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            let status = self.status();
            let done = status["partitions"]
                .as_array()
                .expect("partitions")
                .iter()
                .all(|p| {
                    p["lag"] == 0
                        && p["last_event"].as_u64() > Some(0)
                        && p["checkpoint"]["seq"] == p["last_event"]
                });
            if done {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the workers did not catch up: {status}"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The actions stream equals `run --until`'s output, each id once.
    fn assert_same_as_run(&self) {
        let out = self.dir().join(format!("actions-{}.jsonl", self.nats.port));
        self.nurture(&["cluster", "actions", "--out", out.to_str().expect("a path")]);
        let got = by_id(&std::fs::read_to_string(&out).expect("the actions"));
        let expected = &self.fixture.expected;
        let missing: Vec<_> = expected
            .iter()
            .filter(|(k, _)| !got.contains_key(*k))
            .map(|(_, line)| line)
            .take(8)
            .collect();
        let extra: Vec<_> = got
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .take(5)
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{} actions from the cluster, {} from run; missing {missing:?}, extra {extra:?}",
            got.len(),
            expected.len()
        );
        let differ: BTreeSet<_> = got
            .iter()
            .filter(|(id, line)| expected[*id] != **line)
            .map(|(id, _)| id)
            .take(3)
            .collect();
        assert!(
            differ.is_empty(),
            "the same ids with other records: {differ:?}"
        );
    }

    fn owners(&self) -> Vec<String> {
        self.status()["partitions"]
            .as_array()
            .expect("partitions")
            .iter()
            .map(|p| p["owner"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

impl Drop for Cluster<'_> {
    fn drop(&mut self) {
        for child in self.workers.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn two_workers_emit_exactly_the_actions_of_run() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = Cluster::new("5s");
    c.publish("events.jsonl");
    c.tick();
    c.start_worker("a");
    c.start_worker("b");
    let status = c.wait_caught_up();
    let owners: BTreeSet<_> = c.owners().into_iter().collect();
    assert_eq!(owners.len(), 2, "both workers own partitions: {status}");
    c.assert_same_as_run();
}

/// Two workers on the first half, then the second half published and the workers part-way
/// through it: some of it applied, not all of it checkpointed.
fn mid_stream() -> Cluster<'static> {
    let mut c = Cluster::new("5s");
    c.publish("first.jsonl");
    c.start_worker("a");
    c.start_worker("b");
    c.publish("second.jsonl");
    std::thread::sleep(Duration::from_millis(700));
    c
}

#[test]
fn a_worker_killed_mid_stream_is_replaced_without_losing_or_repeating_actions() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = mid_stream();
    c.signal("a", "-KILL");
    c.start_worker("c");
    c.tick();
    c.wait_caught_up();
    let owners: BTreeSet<_> = c.owners().into_iter().collect();
    assert!(
        !owners.contains("a"),
        "the dead worker's leases expired: {owners:?}"
    );
    c.assert_same_as_run();
}

#[test]
fn nats_server_killed_and_restarted_mid_stream() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = mid_stream();
    c.nats.kill();
    std::thread::sleep(Duration::from_secs(1));
    c.nats.launch();
    // Publishing again stores nothing twice (message ids), and makes sure of every event.
    c.publish("second.jsonl");
    c.tick();
    c.wait_caught_up();
    c.assert_same_as_run();
}

#[test]
fn a_worker_stopped_by_sigterm_hands_over_its_partitions_at_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // A TTL far longer than the hand-over may take.
    let mut c = Cluster::new("60s");
    c.publish("first.jsonl");
    c.start_worker("a");
    c.start_worker("b");
    c.wait_caught_up();
    let owners: BTreeSet<_> = c.owners().into_iter().collect();
    assert_eq!(owners.len(), 2, "both workers own partitions: {owners:?}");
    let stopped = Instant::now();
    c.signal("a", "-TERM");
    loop {
        if c.owners().iter().all(|o| o == "b") {
            break;
        }
        assert!(
            // Well inside the TTL, with room for a loaded two-core CI machine.
            stopped.elapsed() < Duration::from_secs(40),
            "partitions still not moved: {:?}",
            c.owners()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        stopped.elapsed() < Duration::from_secs(60),
        "moved before the TTL"
    );
    c.publish("second.jsonl");
    c.tick();
    c.wait_caught_up();
    c.assert_same_as_run();
}
