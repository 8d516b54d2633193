//! `nurture cluster migrate` and `nurture cluster actions [--follow]` against a real
//! `nats-server -js` (docs/cluster.md): a campaign changed between two parts of a stream is
//! refused by the workers, migrated once for every partition, and then gives exactly the
//! actions of `nurture run --state` with `--migrate` on the same split; `actions --follow`
//! writes actions produced after it started, and without `--follow` it stops once caught up;
//! a migration after a worker was killed waits until its actions are checkpointed; a
//! checkpoint of another table layout is refused and nothing is migrated.
//!
//! Needs `nats-server` (Debian's package of that name): `cargo test --features external
//! --test cluster_ops`.

#![cfg(feature = "external")]

mod cluster_support;
mod external;

use cluster_support::{assert_same_actions, by_id, send_signal, wait_at_most, Cluster, NURTURE};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// The scenarios share the machine's two cores: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A campaign whose leads wait in two workflows (tests/durability.rs's too).
const V1: &str = include_str!("fixtures/migrate_v1.nurture");

/// V1 with a step added before the first wait, and `dormant` gone: a change of behaviour.
const V2: &str = include_str!("fixtures/migrate_v2.nurture");

/// V2 with a mistake: the checker refuses it, whatever it is asked to do.
const BROKEN: &str = r#"campaign "Migrate"

lead { email: string }

event signed.up as "Signed Up" {}

on signed.up start welcome

workflow welcome {
  send email "hello"
  wait 2 fortnights
}
"#;

/// The first part of the stream ends before this; the second starts after it.
const SPLIT: &str = "2026-03-04T02:45:00Z";
const UNTIL: &str = "2026-03-20T00:00:00Z";
const LEADS: usize = 300;

/// A directory with the campaigns and the events: `first.jsonl` (the first half of the
/// leads signing up, one every half hour from 2026-03-01) and `second.jsonl` (the rest).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).expect("write a file");
    };
    write("v1.nurture", V1);
    write("v2.nurture", V2);
    write("broken.nurture", BROKEN);
    let start = 1_772_323_200_000i64; // 2026-03-01T00:00:00Z
    let lines: Vec<String> = (0..LEADS)
        .map(|i| {
            let at = start + i as i64 * 30 * 60_000;
            let at = nurture::lang::format::instant(at);
            let lead = format!("lead-{i:04}");
            [
                format!(
                    r#"{{"type":"identify","userId":"{lead}","traits":{{"email":"{lead}@example.com"}},"timestamp":"{at}"}}"#
                ),
                format!(
                    r#"{{"type":"track","userId":"{lead}","event":"Signed Up","properties":{{}},"timestamp":"{at}"}}"#
                ),
            ]
            .join("\n")
        })
        .collect();
    let (first, second) = lines.split_at(LEADS / 2);
    write("first.jsonl", &(first.join("\n") + "\n"));
    write("second.jsonl", &(second.join("\n") + "\n"));
    dir
}

/// `nurture run` in `dir`; its actions and what it said.
fn run(dir: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(NURTURE)
        .current_dir(dir)
        .arg("run")
        .args(args)
        .output()
        .expect("run nurture");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "nurture run {args:?}: {stderr}");
    (String::from_utf8(out.stdout).expect("UTF-8"), stderr)
}

/// What a migration reported, comparable between `run --migrate` (one state) and
/// `cluster migrate` (a state per partition): each run not carried over, and the totals of
/// leads, runs carried over and runs not carried over.
fn migration_summary(stderr: &str) -> (Vec<String>, [u64; 3]) {
    let mut lost: Vec<String> = stderr
        .lines()
        .filter(|l| l.starts_with("  run not carried over: "))
        .map(str::to_string)
        .collect();
    lost.sort();
    let mut totals = [0; 3];
    for line in stderr.lines().filter(|l| l.starts_with("migrated ")) {
        if !line.contains("carried over") {
            continue;
        }
        let numbers: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        assert_eq!(numbers.len(), 3, "a migration total: {line}");
        for (total, n) in totals.iter_mut().zip(numbers) {
            *total += n;
        }
    }
    (lost, totals)
}

/// The oracle: `run --state` over the first part with V1, then `run --state --migrate` over
/// the second with V2. A partition's checkpoint is a `--state` database holding that
/// partition's leads, and `--migrate` rebuilds each lead on its own from its old slab, with
/// the state's clock: so migrating every partition's checkpoint at the same clock (the tick
/// to SPLIT reached them all) is migrating the one state of `run`, lead by lead, and the
/// actions after it are the same, with the same ids (ids do not depend on partitions).
#[test]
fn a_changed_campaign_is_refused_then_migrated_as_run_migrates_it() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = workspace();
    let d = dir.path();
    let (before, _) = run(
        d,
        &[
            "v1.nurture",
            "--state",
            "s.db",
            "--events",
            "first.jsonl",
            "--until",
            SPLIT,
        ],
    );
    let (after, run_said) = run(
        d,
        &[
            "v2.nurture",
            "--state",
            "s.db",
            "--migrate",
            "--events",
            "second.jsonl",
            "--until",
            UNTIL,
        ],
    );
    let expected = by_id(&(before + &after));
    assert!(after.contains("\"intro\""), "V2 ran after the migration");

    let mut c = Cluster::new(d, "4", "5s");
    c.publish("first.jsonl");
    c.tick(SPLIT);
    c.start_worker("a", "v1.nurture");
    c.start_worker("b", "v1.nurture");
    c.wait_caught_up();

    // While workers run, a migration is refused: they would go on writing V1 checkpoints.
    let busy = c.nurture_fails(&["cluster", "migrate", "v2.nurture"]);
    let said = String::from_utf8_lossy(&busy.stderr);
    assert_eq!(
        said,
        "nurture cluster migrate: workers still own partitions (a, b): stop them (SIGTERM) \
         before migrating\n"
    );
    for w in ["a", "b"] {
        assert!(c.signal(w, "-TERM").success(), "worker {w} stops cleanly");
    }

    // A worker on V2 is refused, and told what changed and what to do.
    let refused = c.nurture_fails(&["worker", "v2.nurture", "--name", "early"]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.starts_with(
            "nurture worker: the partitions were written by another version of the campaign, \
             which differs from this one:\n"
        ),
        "{said}"
    );
    assert!(
        said.contains("  - workflow dormant was removed\n"),
        "{said}"
    );
    assert!(
        said.contains("  - workflow welcome changed its steps"),
        "{said}"
    );
    assert!(
        said.contains("run `nurture cluster migrate CAMPAIGN` to carry the checkpoints over"),
        "{said}"
    );

    // A campaign `run --migrate` refuses is refused here, with the same diagnostic.
    let run_broken = Command::new(NURTURE)
        .current_dir(d)
        .args(["run", "broken.nurture", "--state", "s.db", "--migrate"])
        .output()
        .expect("run nurture");
    let broken = c.nurture_fails(&["cluster", "migrate", "broken.nurture"]);
    assert_eq!(broken.status.code(), run_broken.status.code());
    assert!(!broken.stderr.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&broken.stderr),
        String::from_utf8_lossy(&run_broken.stderr)
    );

    let migrated = c.command(&["cluster", "migrate", "v2.nurture"]).output();
    let migrated = migrated.expect("run nurture");
    let cluster_said = String::from_utf8_lossy(&migrated.stderr).into_owned();
    assert!(migrated.status.success(), "{cluster_said}");
    assert!(
        cluster_said.contains("migrated 4 checkpoint(s) to v2.nurture"),
        "{cluster_said}"
    );
    // How the campaign changed is said once for the four partitions, first.
    assert!(
        cluster_said.starts_with("every partition:\n  changed: "),
        "{cluster_said}"
    );
    assert_eq!(
        cluster_said
            .matches("  changed: workflow dormant was removed\n")
            .count(),
        1,
        "{cluster_said}"
    );
    let (lost, totals) = migration_summary(&cluster_said);
    assert_eq!((lost.clone(), totals), migration_summary(&run_said));
    assert_eq!(
        totals[0],
        (LEADS / 2) as u64,
        "every lead of the first part"
    );
    assert!(!lost.is_empty(), "the dormant runs are reported lost");

    // Migrating again finds the recorded program already V2's.
    let again = c.command(&["cluster", "migrate", "v2.nurture"]).output();
    let again = again.expect("run nurture");
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        "the recorded campaign behaves as this one: nothing to migrate\n"
    );

    c.publish("second.jsonl");
    c.tick(UNTIL);
    c.start_worker("c", "v2.nurture");
    c.start_worker("d", "v2.nurture");
    c.wait_caught_up();
    assert_same_actions(&c.actions(), &expected, "run --state, then run --migrate");
}

/// A worker killed (not stopped) leaves actions published that its partitions' checkpoints
/// do not cover: a migration is then refused, saying how to cover them; once the old
/// campaign's workers have caught up and been stopped, it goes through, and no action was
/// published twice on the way.
#[test]
fn a_migration_after_a_killed_worker_waits_until_its_actions_are_checkpointed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = workspace();
    let d = dir.path();
    let (before, _) = run(
        d,
        &["v1.nurture", "--events", "first.jsonl", "--until", SPLIT],
    );
    let expected = by_id(&before);
    let mut c = Cluster::new(d, "4", "2s");
    c.publish("first.jsonl");
    c.tick(SPLIT);
    // A worker that checkpoints only when it stops: what it publishes is not covered.
    let killed = c
        .command(&[
            "worker",
            "v1.nurture",
            "--name",
            "k",
            "--checkpoint-every",
            "1000000",
            "--checkpoint-interval",
            "1h",
        ])
        .arg("--dir")
        .arg(d.join("k"))
        .stdout(Stdio::null())
        .spawn()
        .expect("start a worker");
    c.workers.insert("k".into(), killed);
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.actions().len() < expected.len() {
        assert!(
            Instant::now() < deadline,
            "the worker published its actions"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    c.signal("k", "-KILL");
    // Its leases and heartbeat expire.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = c.status();
        if status["workers"] == serde_json::json!([]) && c.owners().iter().all(|o| o.is_empty()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the killed worker's leases expire: {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let refused = c.nurture_fails(&["cluster", "migrate", "v2.nurture"]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.starts_with("nurture cluster migrate: partition(s) ")
            && said.contains(
                " published actions after their last checkpoint (a worker was killed rather \
                 than stopped), and the new campaign cannot take over from there: start the \
                 workers with the campaign they ran, let them catch up, stop them (SIGTERM), \
                 then migrate\n"
            ),
        "{said}"
    );
    c.start_worker("a", "v1.nurture");
    c.wait_caught_up();
    assert!(c.signal("a", "-TERM").success(), "worker a stops cleanly");
    let migrated = c.command(&["cluster", "migrate", "v2.nurture"]).output();
    let migrated = migrated.expect("run nurture");
    let said = String::from_utf8_lossy(&migrated.stderr);
    assert!(migrated.status.success(), "{said}");
    assert_same_actions(&c.actions(), &expected, "run, up to the split");
}

/// Every partition's checkpoint as the object store holds it, and partition `altered`'s
/// replaced first, when given, by a copy with table layout `layout`.
fn checkpoints(c: &Cluster, dir: &Path, altered: Option<(usize, i32)>) -> Vec<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let client = async_nats::connect(c.nats.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client);
        let objects = js
            .get_object_store("nurture_state")
            .await
            .expect("the state bucket");
        if let Some((p, layout)) = altered {
            let name = format!("partition.{p}");
            let mut bytes = Vec::new();
            let mut object = objects.get(&name).await.expect("a checkpoint");
            object.read_to_end(&mut bytes).await.expect("read it");
            let path = dir.join("altered.db");
            std::fs::write(&path, &bytes).expect("write a copy");
            let sqlite = rusqlite::Connection::open(&path).expect("open the copy");
            sqlite
                .pragma_update(None, "user_version", layout)
                .expect("set its layout");
            drop(sqlite);
            let bytes = std::fs::read(&path).expect("read the copy");
            objects
                .put(name.as_str(), &mut bytes.as_slice())
                .await
                .expect("put it back");
        }
        let mut all = Vec::new();
        for p in 0..4 {
            let mut bytes = Vec::new();
            let mut object = objects
                .get(format!("partition.{p}"))
                .await
                .expect("every partition has a checkpoint");
            object.read_to_end(&mut bytes).await.expect("read it");
            all.push(bytes);
        }
        all
    })
}

/// A checkpoint written by a nurture with another table layout is refused by `cluster
/// migrate`, which names its partition and changes nothing: every checkpoint stays as it
/// was, and so does the recorded campaign.
#[test]
fn a_checkpoint_of_another_table_layout_is_refused_and_nothing_is_migrated() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = workspace();
    let d = dir.path();
    let mut c = Cluster::new(d, "4", "2s");
    c.publish("first.jsonl");
    c.tick(SPLIT);
    c.start_worker("a", "v1.nurture");
    c.wait_caught_up();
    assert!(c.signal("a", "-TERM").success(), "worker a stops cleanly");
    let before = checkpoints(&c, d, Some((2, 99)));
    let refused = c.nurture_fails(&["cluster", "migrate", "v2.nurture"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "nurture cluster migrate: partition 2's checkpoint has table layout 99, and this \
         nurture reads layout 4: run the workers with the nurture that wrote it, or start the \
         cluster afresh (a new stream directory, `cluster init`, the events published again); \
         nothing was changed\n"
    );
    assert!(
        checkpoints(&c, d, None) == before,
        "partitions 0 and 1, migrated before partition 2 was met, were not written back"
    );
    let still_v1 = c.nurture_fails(&["worker", "v2.nurture", "--name", "early"]);
    assert!(
        String::from_utf8_lossy(&still_v1.stderr)
            .contains("the partitions were written by another version of the campaign"),
        "the recorded campaign is still V1"
    );
}

/// Lines a child writes, as they come, through a thread.
fn lines_of(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Reads lines until there are `n` in all, or the deadline passes.
fn read_until(lines: &mpsc::Receiver<String>, got: &mut Vec<String>, n: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => panic!("{} of {n} action lines within {limit:?}", got.len()),
        }
    }
}

#[test]
fn actions_follow_writes_new_actions_as_they_come_and_stops_on_sigterm() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = workspace();
    let mut c = Cluster::new(dir.path(), "4", "5s");

    // Without --follow, an empty stream gives nothing, at once.
    let mut empty = c
        .command(&["cluster", "actions"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nurture");
    let ended = wait_at_most(&mut empty, Duration::from_secs(60));
    assert!(
        ended.is_some_and(|s| s.success()),
        "exits once caught up: {ended:?}"
    );
    let mut nothing = String::new();
    std::io::Read::read_to_string(&mut empty.stdout.take().expect("stdout"), &mut nothing)
        .expect("read");
    assert_eq!(nothing, "");

    c.publish("first.jsonl");
    c.start_worker("a", "v1.nurture");
    c.wait_caught_up();
    let first = c.actions();
    assert!(
        first.len() >= LEADS,
        "hello and ping for each lead of the first part"
    );

    let mut follow = c
        .command(&["cluster", "actions", "--follow"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nurture");
    let lines = lines_of(follow.stdout.take().expect("stdout"));
    let mut got = Vec::new();
    read_until(&lines, &mut got, first.len(), Duration::from_secs(60));

    // Produced after the follower started: the second part's leads, and the waits fired.
    c.publish("second.jsonl");
    c.tick(UNTIL);
    c.wait_caught_up();
    let all = c.actions();
    assert!(all.len() > first.len() + LEADS, "{} actions", all.len());
    read_until(&lines, &mut got, all.len(), Duration::from_secs(60));
    assert_same_actions(&by_id(&got.join("\n")), &all, "the actions stream");
    assert!(
        lines.recv_timeout(Duration::from_millis(500)).is_err(),
        "nothing more than the stream holds"
    );

    // SIGTERM stops it at once, cleanly.
    send_signal(&follow, "-TERM");
    let ended = wait_at_most(&mut follow, Duration::from_secs(10));
    assert!(
        ended.is_some_and(|s| s.success()),
        "--follow stops on SIGTERM with success: {ended:?}"
    );

    // Without --follow, it writes what the stream holds and exits.
    let mut once = c
        .command(&["cluster", "actions"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nurture");
    let lines = lines_of(once.stdout.take().expect("stdout"));
    let ended = wait_at_most(&mut once, Duration::from_secs(60));
    assert!(ended.is_some_and(|s| s.success()), "{ended:?}");
    let written: Vec<String> = lines.iter().collect();
    assert_same_actions(&by_id(&written.join("\n")), &all, "the actions stream");
}
