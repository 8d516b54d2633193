//! What the tests behind `--features external` share: finding the outside program they drive
//! (and saying what to install when it is missing), and a free port on loopback.

#![allow(dead_code)] // each test target uses its own part

use std::net::TcpListener;
use std::path::PathBuf;

/// The path of `program` on `PATH`, or a panic that says which Debian package provides it and
/// that `.ci/run` installs it.
pub fn require(program: &str, debian_package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "this test needs `{program}`, which is not on PATH: install it with \
         `apt-get install -y {debian_package}` (`.ci/run` does this), or run `cargo test` \
         without `--features external` to skip the tests that need outside programs"
    );
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port on loopback");
    listener.local_addr().expect("the bound address").port()
}
