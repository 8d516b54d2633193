//! `nurture serve` as its users meet it: the real binary on a free port, events over HTTP,
//! and a receiver inside the test taking the deliveries.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WELCOME: &str = r#"
lead { email: string? }
event signup { plan: string? }
event upgraded { plan: string? }
list signed_up = did signup within 30d
on signup start welcome
workflow welcome {
  exit when did upgraded since enrolled
  send email "welcome"
  wait 3s
  send email "day-two"
}
"#;

/// The service, started on a free port in a temporary folder.
struct Service {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Service {
    fn start(dir: &Path, extra: &[&str]) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nurture"))
            .current_dir(dir)
            .args([
                "serve",
                "c.nurture",
                "--state",
                "s.db",
                "--listen",
                "127.0.0.1:0",
                "--out",
                "out.jsonl",
            ])
            .args(extra)
            .env_remove("NURTURE_WRITE_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the nurture binary starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut said = Vec::new();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("the service stopped before listening:\n{}", said.join("\n"));
            };
            if let Some(at) = line.find("listening on ") {
                break line[at + "listening on ".len()..].trim().to_string();
            }
            said.push(line);
        };
        // Its logs are read on, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        Service {
            child,
            url,
            dir: dir.to_path_buf(),
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }

    fn out(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("out.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn folder(campaign: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.nurture"), campaign).unwrap();
    dir
}

fn track(user: &str, event: &str, message_id: &str) -> Value {
    json!({"type": "track", "userId": user, "event": event, "properties": {}, "messageId": message_id})
}

async fn post(url: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .json(body)
        .send()
        .await
        .expect("the service answers");
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// A receiver of deliveries: what came, under which key; failing a share of requests with 500.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, Value, Instant)>>>,
    fail_one_in: Arc<Mutex<u32>>,
    seen: Arc<Mutex<u64>>,
    /// While set, every request is refused with 422 (a dead letter at once).
    refuse: Arc<Mutex<bool>>,
}

impl Receiver {
    async fn start(fail_percent: u32) -> (Receiver, String) {
        let r = Receiver::default();
        *r.fail_one_in.lock().unwrap() = fail_percent;
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                    let state = state.clone();
                    async move {
                        let n = {
                            let mut seen = state.seen.lock().unwrap();
                            *seen += 1;
                            *seen
                        };
                        if *state.refuse.lock().unwrap() {
                            return StatusCode::UNPROCESSABLE_ENTITY;
                        }
                        let percent = *state.fail_one_in.lock().unwrap() as u64;
                        // A fixed pattern rather than chance: every run fails the same ones.
                        if (n * 37) % 100 < percent {
                            return StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        let key = headers
                            .get("idempotency-key")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        state.got.lock().unwrap().push((key, body, Instant::now()));
                        StatusCode::OK
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    fn got(&self) -> Vec<(String, Value, Instant)> {
        self.got.lock().unwrap().clone()
    }
}

fn routes(dir: &Path, url: &str) {
    std::fs::write(
        dir.join("routes.toml"),
        format!("[[route]]\nurl = \"{url}\"\n\n[retry]\ninitial = \"50ms\"\nmax = \"200ms\"\n"),
    )
    .unwrap();
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What an action is, leaving out when it ran and its id (the service's clock decides both).
fn what(a: &Value) -> String {
    format!(
        "{} {} {}",
        a["lead"].as_str().unwrap_or(""),
        a["action"].as_str().unwrap_or(""),
        a["template"].as_str().unwrap_or("")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn events_over_http_give_the_actions_run_gives() {
    let dir = folder(WELCOME);
    let events = [
        track("ann", "signup", "a1"),
        track("bob", "signup", "b1"),
        track("bob", "upgraded", "b2"),
    ];
    // `run` over the same events (the upgrade a second later), then past the wait.
    let lines: String = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            e["timestamp"] = format!("2026-03-02T09:00:0{}Z", i / 2).into();
            format!("{e}\n")
        })
        .collect();
    std::fs::write(dir.path().join("e.jsonl"), lines).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_nurture"))
        .current_dir(dir.path())
        .args([
            "run",
            "c.nurture",
            "--events",
            "e.jsonl",
            "--until",
            "2026-03-03T00:00:00Z",
        ])
        .output()
        .unwrap();
    let expected: Vec<String> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| what(&serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(
        expected,
        ["ann send welcome", "bob send welcome", "ann send day-two"]
    );

    let service = Service::start(dir.path(), &[]);
    let (status, body) = post(&service.url, "/v1/batch", &json!({ "batch": events[..2] })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = post(&service.url, "/v1/track", &events[2]).await;
    assert_eq!(status, StatusCode::OK);
    wait_for("the wait to fire", Duration::from_secs(10), || {
        service.out().len() >= 3
    })
    .await;
    // Past ann's wait, and bob's had he not upgraded.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got: Vec<String> = service.out().iter().map(what).collect();
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_is_delivered_on_the_wall_clock() {
    let dir = folder(WELCOME);
    let (receiver, hook) = Receiver::start(0).await;
    routes(dir.path(), &hook);
    let service = Service::start(dir.path(), &["--deliver", "routes.toml"]);
    let sent = Instant::now();
    let (status, _) = post(&service.url, "/v1/track", &track("ann", "signup", "m1")).await;
    assert_eq!(status, StatusCode::OK);
    wait_for("both emails", Duration::from_secs(10), || {
        receiver.got().len() >= 2
    })
    .await;
    let got = receiver.got();
    assert_eq!(got[0].1["template"], "welcome");
    assert_eq!(got[1].1["template"], "day-two");
    let after = got[1].2.duration_since(sent).as_secs_f64();
    assert!(
        (2.0..=4.0).contains(&after),
        "day-two came {after:.2}s after the signup"
    );
    // The key is the action's id.
    assert_eq!(got[1].0, got[1].1["id"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_receiver_still_gets_everything_under_one_key_each() {
    let dir = folder(WELCOME);
    let (receiver, hook) = Receiver::start(30).await;
    routes(dir.path(), &hook);
    let service = Service::start(dir.path(), &["--deliver", "routes.toml"]);
    let batch: Vec<Value> = (0..40)
        .map(|i| track(&format!("lead{i}"), "signup", &format!("m{i}")))
        .collect();
    let (status, _) = post(&service.url, "/v1/batch", &json!({ "batch": batch })).await;
    assert_eq!(status, StatusCode::OK);
    wait_for("80 deliveries", Duration::from_secs(20), || {
        distinct_keys(&receiver.got()).len() >= 80
    })
    .await;
    let got = receiver.got();
    let keys = distinct_keys(&got);
    assert_eq!(keys.len(), 80);
    // Each action under one key only: the same (lead, template) never under two.
    let mut by_action: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (key, body, _) in &got {
        by_action.entry(what(body)).or_default().insert(key.clone());
    }
    assert_eq!(by_action.len(), 80);
    assert!(by_action.values().all(|k| k.len() == 1));
    assert!(
        *receiver.seen.lock().unwrap() > 80,
        "some requests failed and were retried"
    );
}

fn distinct_keys(got: &[(String, Value, Instant)]) -> BTreeSet<String> {
    got.iter().map(|(k, ..)| k.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_batch_is_applied_once() {
    let dir = folder(WELCOME);
    let service = Service::start(dir.path(), &[]);
    let batch = json!({ "batch": [track("ann", "signup", "m1"), track("bob", "signup", "m2")] });
    for _ in 0..3 {
        let (status, _) = post(&service.url, "/v1/batch", &batch).await;
        assert_eq!(status, StatusCode::OK);
    }
    // And once more after a restart: the ids are in the state database.
    drop(service);
    let service = Service::start(dir.path(), &[]);
    let (status, _) = post(&service.url, "/v1/batch", &batch).await;
    assert_eq!(status, StatusCode::OK);
    let welcomes = service
        .out()
        .iter()
        .filter(|a| a["template"] == "welcome")
        .count();
    assert_eq!(welcomes, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_write_key_is_required_when_set() {
    let dir = folder(WELCOME);
    let service = Service::start(dir.path(), &["--write-key", "sekret"]);
    let (status, _) = post(&service.url, "/v1/track", &track("ann", "signup", "m1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/track", service.url))
        .basic_auth("sekret", Some(""))
        .json(&track("ann", "signup", "m1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let wrong = reqwest::Client::new()
        .post(format!("{}/v1/track", service.url))
        .basic_auth("other", Some(""))
        .json(&track("bob", "signup", "m2"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let leads: BTreeSet<String> = service
        .out()
        .iter()
        .map(|a| a["lead"].to_string())
        .collect();
    assert_eq!(leads.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_event_rejects_its_whole_batch_by_index() {
    let dir = folder(WELCOME);
    let service = Service::start(dir.path(), &[]);
    let batch = json!({ "batch": [
        track("ann", "signup", "m1"),
        {"type": "track", "event": "signup", "properties": {}},
        {"type": "track", "userId": "cy", "event": "signup", "properties": {"plan": 5}},
    ]});
    let (status, body) = post(&service.url, "/v1/batch", &batch).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let indices: Vec<u64> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indices, [1, 2]);
    assert!(body["errors"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("userId"));
    assert_eq!(body["errors"][0]["kind"], "missing-user-id");
    assert_eq!(body["errors"][1]["kind"], "wrong-type");
    // Nothing of it was applied: ann's signup, sent again alone, is new.
    let (status, _) = post(&service.url, "/v1/track", &track("ann", "signup", "m1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(service.out().len(), 1);
    // Over Segment's size limit.
    let big = json!({ "batch": [{"type": "track", "userId": "x", "event": "signup",
        "properties": {"plan": "x".repeat(40_000)}}]});
    let (status, body) = post(&service.url, "/v1/batch", &big).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["index"], 0);
    assert_eq!(body["errors"][0]["kind"], "event-too-large");
    assert_eq!(service.terminate().code(), Some(0));
}

/// SIGKILL while batches arrive and waits are pending, then a restart: every acknowledged
/// event is applied exactly once and every action delivered, none under two keys.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_service_loses_nothing_and_doubles_nothing() {
    let dir = folder(WELCOME);
    let (receiver, hook) = Receiver::start(10).await;
    routes(dir.path(), &hook);
    let mut acknowledged = BTreeSet::new();
    let mut next = 0;
    for round in 0..3 {
        let service = Service::start(dir.path(), &["--deliver", "routes.toml"]);
        let url = service.url.clone();
        // At a moment that differs from round to round and run to run.
        let kill_after = Duration::from_millis(200 + 200 * round + fastrand::u64(0..300));
        let started = Instant::now();
        while started.elapsed() < kill_after {
            let batch: Vec<Value> = (next..next + 5)
                .map(|i| track(&format!("lead{i}"), "signup", &format!("m{i}")))
                .collect();
            let ids: Vec<u64> = (next..next + 5).collect();
            next += 5;
            if let Ok(a) = reqwest::Client::new()
                .post(format!("{url}/v1/batch"))
                .json(&json!({ "batch": batch }))
                .send()
                .await
            {
                if a.status() == StatusCode::OK {
                    acknowledged.extend(ids);
                }
            }
        }
        service.kill();
    }
    assert!(
        acknowledged.len() >= 10,
        "too few batches went in to test anything"
    );
    // The last start finishes what is due and pending.
    let service = Service::start(dir.path(), &["--deliver", "routes.toml"]);
    let expected = acknowledged.len() * 2;
    wait_for("every action delivered", Duration::from_secs(30), || {
        distinct_keys(&receiver.got()).len() >= expected
    })
    .await;
    let mut by_action: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (key, body, _) in receiver.got() {
        by_action.entry(what(&body)).or_default().insert(key);
    }
    for i in &acknowledged {
        for template in ["welcome", "day-two"] {
            let keys = by_action
                .get(&format!("lead{i} send {template}"))
                .unwrap_or_else(|| panic!("lead{i} never got {template}"));
            assert_eq!(keys.len(), 1, "lead{i} {template} under {keys:?}");
        }
    }
    // Nothing for an event that was never acknowledged twice over: each lead once.
    assert!(by_action.values().all(|k| k.len() == 1));
    drop(service);
}

async fn get(url: &str) -> (StatusCode, Value) {
    let answer = reqwest::get(url).await.expect("the service answers");
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn leads_and_lists_can_be_read() {
    let dir = folder(&format!(
        "{WELCOME}score interest {{\n  on signup add 5\n  on upgraded add 10\n}}\nscore doubled = interest * 2\n"
    ));
    let service = Service::start(dir.path(), &[]);
    let batch = json!({ "batch": [
        track("ann", "signup", "m1"),
        {"type": "identify", "userId": "cy", "traits": {"email": "cy@example.com"}},
        track("bob", "signup", "m2"),
    ]});
    assert_eq!(
        post(&service.url, "/v1/batch", &batch).await.0,
        StatusCode::OK
    );
    let (status, ann) = get(&format!("{}/v1/leads/ann", service.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ann["id"], "ann");
    assert_eq!(ann["lists"]["signed_up"], true);
    assert_eq!(ann["workflows"]["welcome"]["step"], "wait 3s");
    // Each score with what makes it up, rule by rule.
    assert_eq!(ann["scores"]["interest"], 5);
    let interest = &ann["breakdown"]["interest"];
    assert_eq!(interest["value"], 5);
    assert_eq!(
        interest["rules"][0],
        json!({"rule": "on signup add 5", "points": 5, "counted": 1, "capped": 0, "last": ann["clock"]})
    );
    assert_eq!(interest["rules"][1]["points"], 0);
    assert_eq!(ann["breakdown"]["doubled"]["formula"], "interest * 2");
    assert_eq!(
        ann["breakdown"]["doubled"]["inputs"],
        json!({"interest": 5})
    );
    assert_eq!(
        get(&format!("{}/v1/leads/nobody", service.url)).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, first) = get(&format!("{}/v1/lists/signed_up?limit=1", service.url)).await;
    assert_eq!(first["members"], json!(["ann"]));
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = get(&format!(
        "{}/v1/lists/signed_up?limit=1&cursor={cursor}",
        service.url
    ))
    .await;
    assert_eq!(rest["members"], json!(["bob"]));
    assert_eq!(
        get(&format!("{}/v1/lists/nope", service.url)).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_fell_due_while_down_fires_at_start_up_and_says_how_late() {
    let dir = folder(WELCOME);
    let service = Service::start(dir.path(), &[]);
    assert_eq!(
        post(&service.url, "/v1/track", &track("ann", "signup", "m1"))
            .await
            .0,
        StatusCode::OK
    );
    service.kill();
    // Down past the 3s wait.
    tokio::time::sleep(Duration::from_millis(5500)).await;
    let service = Service::start(dir.path(), &[]);
    wait_for("the late email", Duration::from_secs(30), || {
        service.out().len() >= 2
    })
    .await;
    let out = service.out();
    assert_eq!(out[1]["template"], "day-two");
    let late = out[1]["late_by"]
        .as_f64()
        .expect("a late record says how late");
    // Due 3s after the event, fired 5.5s after it plus the restart: a few seconds late, with
    // room for a slow restart on a loaded machine.
    assert!((1.0..=10.0).contains(&late), "late by {late}s");
    assert!(out[0].get("late_by").is_none());
}

async fn reloads(url: &str, result: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = format!("nurture_reloads_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_campaign_by_the_rules_of_run() {
    let dir = folder(WELCOME);
    let service = Service::start(dir.path(), &[]);
    let hangup = |expected: &'static str| {
        let url = service.url.clone();
        let pid = service.child.id().to_string();
        async move {
            let before = reloads(&url, expected).await;
            Command::new("kill").args(["-HUP", &pid]).status().unwrap();
            let start = Instant::now();
            while reloads(&url, expected).await == before {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "no {expected} reload"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let campaign = dir.path().join("c.nurture");
    // A comment: the same behaviour, applied.
    std::fs::write(&campaign, format!("// edited\n{WELCOME}")).unwrap();
    hangup("applied").await;
    // Errors: refused, the running campaign goes on.
    std::fs::write(&campaign, "workflow {").unwrap();
    hangup("invalid").await;
    // Another email: a change of behaviour, refused without --migrate.
    std::fs::write(&campaign, WELCOME.replace("\"welcome\"", "\"hello\"")).unwrap();
    hangup("refused").await;
    post(&service.url, "/v1/track", &track("ann", "signup", "m1")).await;
    assert_eq!(service.out()[0]["template"], "welcome");
    drop(service);
    // With --migrate it is carried over.
    let service = Service::start(dir.path(), &["--migrate"]);
    post(&service.url, "/v1/track", &track("bob", "signup", "m2")).await;
    assert_eq!(service.out().last().unwrap()["template"], "hello");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_senders_timestamp_is_kept_as_original_timestamp() {
    let dir = folder(
        "event signup { originalTimestamp: time? }\n\
         list sent_late = did signup where originalTimestamp is set and originalTimestamp < now - 1d within 7d\n",
    );
    let service = Service::start(dir.path(), &[]);
    let mut late = track("ann", "signup", "m1");
    late["timestamp"] = "2020-01-01T00:00:00Z".into();
    let batch = json!({ "batch": [late, track("bob", "signup", "m2")] });
    assert_eq!(
        post(&service.url, "/v1/batch", &batch).await.0,
        StatusCode::OK
    );
    let (_, ann) = get(&format!("{}/v1/leads/ann", service.url)).await;
    let (_, bob) = get(&format!("{}/v1/leads/bob", service.url)).await;
    // The event counts as now (within 7 days), and its sender's time is read.
    assert_eq!(ann["lists"]["sent_late"], true);
    assert_eq!(bob["lists"]["sent_late"], false);
}

/// `nurture state DB ARGS…` on the service's state, as its operator runs it: (status, stdout).
fn state(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nurture"))
        .current_dir(dir)
        .args(["state", "s.db"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_and_put_back_while_the_service_runs() {
    let dir = folder(WELCOME);
    let (receiver, hook) = Receiver::start(0).await;
    *receiver.refuse.lock().unwrap() = true;
    routes(dir.path(), &hook);
    let service = Service::start(dir.path(), &["--deliver", "routes.toml"]);
    let (status, _) = post(&service.url, "/v1/track", &track("ann", "signup", "m1")).await;
    assert_eq!(status, StatusCode::OK);
    // The welcome, then the day-two email 3 s later: both refused, both dead letters.
    let outbox = || {
        let (code, out) = state(dir.path(), &["--outbox", "--format", "json"]);
        assert_eq!(code, 0, "{out}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    wait_for("two dead letters", Duration::from_secs(15), || {
        outbox()["dead_letters"].as_array().unwrap().len() == 2
    })
    .await;
    let listed = outbox();
    let dead = listed["dead_letters"].as_array().unwrap();
    assert!(dead
        .iter()
        .all(|d| d["status"] == 422 && d["route"] == hook.as_str()));
    let ids: BTreeSet<String> = dead
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    let (_, text) = state(dir.path(), &["--outbox"]);
    assert!(text.contains("0 pending, 2 dead letters"), "{text}");
    assert!(text.contains("ann send email welcome"), "{text}");
    assert!(text.contains("HTTP 422"), "{text}");
    assert!(receiver.got().is_empty());

    // The receiver is fixed; the operator puts the dead letters back, and the running
    // service delivers them under their own keys.
    *receiver.refuse.lock().unwrap() = false;
    let (code, said) = state(dir.path(), &["--redeliver", "--route", &hook]);
    assert_eq!(code, 0);
    assert!(
        said.starts_with("put 2 dead letters back in the queue"),
        "{said}"
    );
    wait_for("the redeliveries", Duration::from_secs(10), || {
        receiver.got().len() == 2
    })
    .await;
    assert_eq!(distinct_keys(&receiver.got()), ids);
    wait_for("an empty outbox", Duration::from_secs(30), || {
        let o = outbox();
        o["pending"].as_array().unwrap().is_empty()
            && o["dead_letters"].as_array().unwrap().is_empty()
    })
    .await;
    // Nothing more to put back; another route has none.
    let (_, said) = state(dir.path(), &["--redeliver", "--route", "http://elsewhere/"]);
    assert!(said.starts_with("put 0 dead letters back"), "{said}");
    drop(service);
}

const DECIDING: &str = r#"
lead { email: string?, plan: string = "free" }
event signup { plan: string? }
event pricing { page: string? }
score interest { on pricing add 10 }
list hot = interest >= 20
decide homepage_cta {
  when lead.plan == "pro"      -> "upgrade-plan"
  when hot                     -> "book-a-demo"
  when did signup within 30d   -> "start-trial"
  else                         -> "read-the-guide"
}
"#;

/// `nurture decide … --format json` on the service's state, as its operator runs it.
fn decide_from_state(dir: &Path, lead: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_nurture"))
        .current_dir(dir)
        .args(["decide", "c.nurture", "--state", "s.db", "--lead", lead])
        .args(["homepage_cta", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_is_served_with_its_row_and_why_as_nurture_decide_gives_it() {
    let dir = folder(DECIDING);
    let service = Service::start(dir.path(), &[]);
    let batch = json!({ "batch": [
        track("ann", "signup", "m1"),
        track("bob", "pricing", "m2"),
        track("bob", "pricing", "m3"),
    ]});
    assert_eq!(
        post(&service.url, "/v1/batch", &batch).await.0,
        StatusCode::OK
    );
    let decide = |lead: &str| format!("{}/v1/leads/{lead}/decide/homepage_cta", service.url);
    let (status, bob) = get(&decide("bob")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bob["row"], 2);
    assert_eq!(bob["value"], "book-a-demo");
    assert_eq!(bob["when"], "hot");
    assert_eq!(
        bob["why"][0],
        json!({"when": "lead.plan == \"pro\"", "holds": false, "read": ["lead.plan is \"free\""]})
    );
    let (_, ann) = get(&decide("ann")).await;
    assert_eq!(
        (ann["row"].clone(), ann["value"].clone()),
        (json!(3), json!("start-trial"))
    );
    // A visitor the service has never seen gets the decision for a new lead.
    let (status, nobody) = get(&decide("nobody")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(nobody["new_lead"], true);
    assert_eq!(nobody["else"], true);
    assert_eq!(nobody["value"], "read-the-guide");
    assert_eq!(
        get(&format!("{}/v1/leads/ann/decide/nope", service.url))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The same lead state read from the database gives the same answer (the clock aside:
    // the service's moves with the wall clock).
    for (lead, served) in [("bob", bob), ("ann", ann), ("nobody", nobody)] {
        let mut from_state = decide_from_state(dir.path(), lead);
        let mut served = served;
        from_state["clock"] = Value::Null;
        served["clock"] = Value::Null;
        assert_eq!(served, from_state, "{lead}");
    }
}
