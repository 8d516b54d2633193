//! A real `nurture serve` process for the benches, on a free port, killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const NURTURE: &str = env!("CARGO_BIN_EXE_nurture");

pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `nurture serve CAMPAIGN --state DB --listen 127.0.0.1:0 EXTRA…` in `dir`, on a fresh
/// state; returns once it says where it listens.
pub fn start(dir: &Path, campaign: &str, db: &str, extra: &[&str]) -> Service {
    for suffix in ["", "-wal", "-shm", "-lock"] {
        let _ = std::fs::remove_file(dir.join(format!("{db}{suffix}")));
    }
    let mut child = Command::new(NURTURE)
        .current_dir(dir)
        .args(["serve", campaign, "--state", db, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("nurture serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("it says where it listens").unwrap();
        if let Some(at) = line.find("listening on ") {
            break line[at + 13..].trim().to_string();
        }
    };
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    Service { child, url }
}
