//! What the tests of `nurture cluster` and `nurture worker` share (tests/cluster.rs,
//! tests/cluster_ops.rs, tests/cluster_connect.rs): a `nats-server -js` of the test's own on a
//! free port with its own store (and, when asked, a configuration of TLS or authorisation),
//! and a cluster over it: the nurture commands, the workers started, and what they wrote.

#![allow(dead_code)] // each test target uses its own part

use crate::external;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const NURTURE: &str = env!("CARGO_BIN_EXE_nurture");

/// A `nats-server -js` of the test's own, on a free port with its own store, run from a
/// configuration file (`extra` is appended to it: a `tls {}` or `authorization {}` block).
pub struct Nats {
    pub port: u16,
    pub store: tempfile::TempDir,
    config: PathBuf,
    child: Option<Child>,
}

impl Nats {
    pub fn start() -> Nats {
        Nats::configured("")
    }

    pub fn configured(extra: &str) -> Nats {
        external::require("nats-server", "nats-server");
        let store = tempfile::tempdir().expect("a store directory");
        let port = external::free_port();
        let config = store.path().join("nats.conf");
        let text = format!(
            "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: {:?} }}\n{extra}\n",
            store.path().join("js").to_str().expect("a UTF-8 path")
        );
        std::fs::write(&config, text).expect("write the nats-server configuration");
        let mut nats = Nats {
            port,
            store,
            config,
            child: None,
        };
        nats.launch();
        nats
    }

    /// Starts the server (again, after `kill`), and waits until it listens.
    pub fn launch(&mut self) {
        let log = std::fs::File::create(self.store.path().join("nats.log")).expect("a log file");
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server logged: shown when it fails to start.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.store.path().join("nats.log")).unwrap_or_default()
    }

    /// SIGKILL: the server dies at once, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Actions by id; panics on an id seen twice.
pub fn by_id(text: &str) -> BTreeMap<String, String> {
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

/// Sends `signal` (`-TERM`, `-KILL`) to a process.
pub fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal}");
}

/// Waits for a process to end, at most `limit`; `None` if it is still running then.
pub fn wait_at_most(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the process's state") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A cluster over a server: the nurture commands (run in `dir`, with `NURTURE_NATS_URL` and
/// the other variables of `env` set), and the workers started.
pub struct Cluster {
    pub nats: Nats,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub workers: BTreeMap<String, Child>,
}

impl Cluster {
    /// A new server, and `cluster init` on it.
    pub fn new(dir: &Path, partitions: &str, lease_ttl: &str) -> Cluster {
        let nats = Nats::start();
        let url = nats.url();
        let cluster = Cluster::over(nats, dir, &[("NURTURE_NATS_URL", &url)]);
        cluster.init(partitions, lease_ttl);
        cluster
    }

    /// A cluster over `nats`, reached as `env` says; not initialised.
    pub fn over(nats: Nats, dir: &Path, env: &[(&str, &str)]) -> Cluster {
        Cluster {
            nats,
            dir: dir.to_path_buf(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            workers: BTreeMap::new(),
        }
    }

    pub fn init(&self, partitions: &str, lease_ttl: &str) {
        self.nurture(&[
            "cluster",
            "init",
            "--partitions",
            partitions,
            "--lease-ttl",
            lease_ttl,
        ]);
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(NURTURE);
        c.current_dir(&self.dir)
            .env_remove("NURTURE_NATS_URL")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env(
                "NURTURE_LOG",
                std::env::var("NURTURE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .args(args);
        c
    }

    /// Runs a command to its end; its standard output.
    pub fn nurture(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run nurture");
        assert!(
            out.status.success(),
            "nurture {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs a command that must fail; what it printed.
    pub fn nurture_fails(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run nurture");
        assert!(
            !out.status.success(),
            "nurture {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        out
    }

    pub fn publish(&self, file: &str) {
        self.nurture(&["cluster", "publish", "--events", file]);
    }

    /// Publishes `file` with up to `pack` lines of a partition a message.
    pub fn publish_packed(&self, file: &str, pack: u32) {
        let pack = pack.to_string();
        self.nurture(&["cluster", "publish", "--events", file, "--pack", &pack]);
    }

    pub fn tick(&self, until: &str) {
        self.nurture(&["cluster", "tick", "--until", until]);
    }

    /// Starts `nurture worker CAMPAIGN --name NAME`, checkpointing often.
    pub fn start_worker(&mut self, name: &str, campaign: &str) {
        self.spawn_worker(name, campaign, Stdio::inherit());
    }

    /// Starts a worker as `start_worker` does, its log going to a file: that file.
    pub fn start_worker_logged(&mut self, name: &str, campaign: &str) -> PathBuf {
        let path = self
            .dir
            .join(format!("worker-{name}-{}.log", self.nats.port));
        let log = std::fs::File::create(&path).expect("create the worker's log");
        self.spawn_worker(name, campaign, Stdio::from(log));
        path
    }

    fn spawn_worker(&mut self, name: &str, campaign: &str, log: Stdio) {
        let state: PathBuf = self.dir.join(format!("worker-{name}-{}", self.nats.port));
        let child = self
            .command(&[
                "worker",
                campaign,
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
            .stderr(log)
            .spawn()
            .expect("start a worker");
        self.workers.insert(name.to_string(), child);
    }

    /// Sends `signal` to a worker that is not to end by it (SIGSTOP, SIGCONT).
    pub fn send(&self, name: &str, signal: &str) {
        send_signal(&self.workers[name], signal);
    }

    /// Sends `signal` to a worker and waits for it to end.
    pub fn signal(&mut self, name: &str, signal: &str) -> std::process::ExitStatus {
        let mut child = self.workers.remove(name).expect("a worker of that name");
        send_signal(&child, signal);
        child.wait().expect("the worker ends")
    }

    pub fn status(&self) -> Value {
        serde_json::from_str(&self.nurture(&["cluster", "status", "--json"])).expect("status JSON")
    }

    /// Waits until every event published is covered by a checkpoint.
    pub fn wait_caught_up(&self) -> Value {
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

    /// The actions stream (`cluster actions`, which stops once caught up), by id.
    pub fn actions(&self) -> BTreeMap<String, String> {
        let out = self.dir.join(format!("actions-{}.jsonl", self.nats.port));
        self.nurture(&["cluster", "actions", "--out", out.to_str().expect("a path")]);
        by_id(&std::fs::read_to_string(&out).expect("the actions"))
    }

    pub fn owners(&self) -> Vec<String> {
        self.status()["partitions"]
            .as_array()
            .expect("partitions")
            .iter()
            .map(|p| p["owner"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.workers.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Checks two sets of actions are the same: the same ids, each with the same record.
pub fn assert_same_actions(
    got: &BTreeMap<String, String>,
    expected: &BTreeMap<String, String>,
    what: &str,
) {
    let missing: Vec<_> = expected
        .iter()
        .filter(|(k, _)| !got.contains_key(*k))
        .map(|(_, line)| line)
        .take(8)
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|(k, _)| !expected.contains_key(*k))
        .map(|(_, line)| line)
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} actions from the cluster, {} from {what}; missing {missing:?}, extra {extra:?}",
        got.len(),
        expected.len()
    );
    let differ: Vec<_> = got
        .iter()
        .filter(|(id, line)| expected[*id] != **line)
        .map(|(id, line)| format!("{line}\n  {what}: {}", expected[id]))
        .take(3)
        .collect();
    assert!(
        differ.is_empty(),
        "the same ids with other records: {differ:?}"
    );
}
