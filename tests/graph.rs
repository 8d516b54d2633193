//! `nurture graph`: every example's workflows as Mermaid (snapshotted), one as DOT, the shape
//! of the model on the corner cases, Mermaid that hangs together, exit codes, and the README's
//! diagram kept in step with the command.

use nurture::check::check_text;
use nurture::graph::{self, Edge, Graph, NodeKind, WorkflowGraph};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// Every corner the examples do not reach: `if not received`, a `wait up to` with nothing
/// after it, an empty split arm, a nested `if` in a split, `start` and `stop` from another
/// workflow and from triggers, a comment inside a condition, characters Mermaid and DOT would
/// read as markup.
const CORNERS: &str = r#"campaign "Graph corners"

lead {
  email: string
  consent_email: bool = true
  note: string?
}

event demo.requested { source: string }

score heat {
  on demo.requested add 50
}

list hot = heat >= 50

on demo.requested where source == "web" and source != "a|b"  start main
on enter hot   start main
on exit hot    stop main
on enter hot   start helper

workflow main {
  exit when did email.unsubscribed or // a comment inside
    did email.bounced
  wait up to 2d for email.clicked
  if not received {
    send email "nudge"
  }
  wait up to 1d for email.opened where template == "nudge"
  untag "x"
  split {
    30% "control": {}
    70% "test": {
      retarget add "aud"
      if hot { webhook "ping" } else { start helper }
    }
  }
  stop helper
}

workflow helper {
  enroll every time
  stop main
  set lead.note = "a \"quoted\" <note> with # & \\ `ticks`"
}

policy {
  frequency email at most 3 per 7d
}
"#;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "nurture"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "expected the six examples, found {files:?}"
    );
    files
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn nurture(args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the nurture binary runs");
    Run {
        code: out.status.code().expect("exited with a code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// `nurture graph ARGS…`, which must succeed.
fn graph_ok(args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let run = nurture(&all);
    assert_eq!(run.code, 0, "nurture {all:?} failed: {}", run.stderr);
    run.stdout
}

fn relative(path: &Path) -> String {
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .expect("under the crate");
    rel.to_string_lossy().replace('\\', "/")
}

fn corners() -> Graph {
    let (diags, program) = check_text(CORNERS);
    let program = program.unwrap_or_else(|| panic!("the corners campaign checks: {diags:?}"));
    graph::build(&program, CORNERS)
}

fn edge<'a>(wf: &'a WorkflowGraph, from: &str, to: &str) -> &'a Edge {
    wf.edges
        .iter()
        .find(|e| e.from == from && e.to == to)
        .unwrap_or_else(|| panic!("no edge {from} -> {to} in {:#?}", wf.edges))
}

fn label_of(wf: &WorkflowGraph, id: &str) -> String {
    wf.node(id)
        .unwrap_or_else(|| panic!("no node {id}"))
        .lines
        .join(" / ")
}

// --- Snapshots -----------------------------------------------------------------------------

#[test]
fn every_example_as_mermaid() {
    for path in examples() {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let out = graph_ok(&[&relative(&path)]);
        insta::assert_snapshot!(format!("mermaid_{stem}"), out);
    }
}

#[test]
fn an_example_as_dot() {
    let out = graph_ok(&["examples/ebook_welcome.nurture", "--format", "dot"]);
    insta::assert_snapshot!("dot_ebook_welcome", out);
}

#[test]
fn the_corners_as_mermaid() {
    insta::assert_snapshot!("mermaid_corners", graph::mermaid::render(&corners()));
}

// --- The model -----------------------------------------------------------------------------

#[test]
fn an_if_received_after_a_wait_up_to_is_the_waits_own_two_edges() {
    let g = corners();
    let main = g.workflow("main").unwrap();
    assert_eq!(
        label_of(main, "w0_s0"),
        "wait up to 2d for email.clicked",
        "the wait is one node"
    );
    // `if not received { send }`: the send is on the timeout, the arrival goes straight on.
    let timed_out = edge(main, "w0_s0", "w0_s1");
    assert_eq!(timed_out.label.as_deref(), Some("timed out"));
    assert_eq!(label_of(main, "w0_s1"), "send email \"nudge\"");
    assert_eq!(
        edge(main, "w0_s0", "w0_s2").label.as_deref(),
        Some("received")
    );
    // No decision node was drawn for the `if`.
    assert!(main
        .nodes
        .iter()
        .all(|n| n.kind != NodeKind::Decision || label_of(main, &n.id) == "hot"));
    // A `wait up to` with no `if received` after it has one way on.
    assert_eq!(
        label_of(main, "w0_s2"),
        "wait up to 1d for email.opened / where template == \"nudge\""
    );
    let out: Vec<&Edge> = main.edges.iter().filter(|e| e.from == "w0_s2").collect();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].to, "w0_s3");
    assert_eq!(out[0].label, None);
}

#[test]
fn a_split_has_an_edge_per_arm_and_an_empty_arm_goes_straight_on() {
    let g = corners();
    let main = g.workflow("main").unwrap();
    let split = main.node("w0_s4").unwrap();
    assert_eq!(split.kind, NodeKind::Split);
    assert_eq!(
        edge(main, "w0_s4", "w0_s5").label.as_deref(),
        Some("70% \"test\"")
    );
    // The empty control arm reaches the step after the split.
    assert_eq!(label_of(main, "w0_s9"), "stop helper");
    assert_eq!(
        edge(main, "w0_s4", "w0_s9").label.as_deref(),
        Some("30% \"control\"")
    );
    // The `if` inside the test arm: yes and no, both back to the step after the split.
    assert_eq!(main.node("w0_s6").unwrap().kind, NodeKind::Decision);
    assert_eq!(edge(main, "w0_s6", "w0_s7").label.as_deref(), Some("yes"));
    assert_eq!(edge(main, "w0_s6", "w0_s8").label.as_deref(), Some("no"));
    edge(main, "w0_s7", "w0_s9");
    edge(main, "w0_s8", "w0_s9");
    edge(main, "w0_s9", "w0_end");
}

#[test]
fn a_holdout_is_a_dashed_branch_with_its_share() {
    let src = r#"event signup
on signup start welcome
workflow welcome {
  goal did order.placed within 30d since enrolled
  holdout 10%
  send email "hello"
}
policy { frequency email at most 3 per 7d }
"#;
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("{diags:?}"));
    let g = graph::build(&program, src);
    let wf = g.workflow("welcome").unwrap();
    let held = wf.node("w0_holdout").expect("a holdout node");
    assert_eq!(held.kind, NodeKind::Holdout);
    assert_eq!(
        label_of(wf, "w0_holdout"),
        "held out: no steps / goal watched 30d"
    );
    let branch = edge(wf, "w0_start", "w0_holdout");
    assert_eq!(branch.label.as_deref(), Some("10% held out"));
    assert!(branch.dashed);
    assert!(edge(wf, "w0_holdout", "w0_end").dashed);
    // The treated share goes on to the first step, drawn as a step is.
    let treated = edge(wf, "w0_start", "w0_s0");
    assert_eq!(treated.label.as_deref(), Some("90% treated"));
    assert!(!treated.dashed);
    let mermaid = graph::mermaid::render(&g);
    assert!(
        mermaid.contains("w0_start -.->|\"10% held out\"| w0_holdout"),
        "{mermaid}"
    );
    check_mermaid(&mermaid);
    let dot = graph::dot::render(&g);
    assert!(
        dot.contains("w0_start -> w0_holdout [label=\"10% held out\", style=dashed];"),
        "{dot}"
    );
    // No holdout, no branch.
    let plain_src = src.replace("  holdout 10%\n", "");
    let plain = graph::build(&check_text(&plain_src).1.unwrap(), &plain_src);
    let wf = plain.workflow("welcome").unwrap();
    assert!(wf.node("w0_holdout").is_none());
    assert_eq!(edge(wf, "w0_start", "w0_s0").label, None);
}

#[test]
fn triggers_and_other_workflows_start_and_stop_it() {
    let g = corners();
    let main = g.workflow("main").unwrap();
    let entries: Vec<(String, Option<String>, bool)> = main
        .edges
        .iter()
        .filter(|e| e.to == "w0_start")
        .map(|e| (label_of(main, &e.from), e.label.clone(), e.dashed))
        .collect();
    let start = Some("start".to_string());
    let stop = Some("stop".to_string());
    assert_eq!(
        entries,
        [
            (
                "on demo.requested / where source == \"web\" / and source != \"a|b\"".into(),
                start.clone(),
                false
            ),
            ("on enter hot".into(), start.clone(), false),
            ("on exit hot".into(), stop.clone(), true),
            ("workflow helper".into(), stop.clone(), true),
        ]
    );
    // The helper is started by a trigger, and by main (once, though it is one entry node
    // with both edges: main starts it and stops it).
    let helper = g.workflow("helper").unwrap();
    assert_eq!(helper.index, 1);
    let from_main: Vec<&Edge> = helper.edges.iter().filter(|e| e.from == "w1_t1").collect();
    assert_eq!(label_of(helper, "w1_t1"), "workflow main");
    assert_eq!(from_main.len(), 2);
    assert_eq!(from_main[0].label, start);
    assert_eq!(from_main[1].label, stop);
    assert!(label_of(helper, "w1_start").contains("enroll every time"));
}

#[test]
fn exit_when_is_its_source_text_without_the_comment() {
    let g = corners();
    let main = g.workflow("main").unwrap();
    assert_eq!(
        label_of(main, "w0_exit"),
        "exit when / did email.unsubscribed / or did email.bounced"
    );
    let e = edge(main, "w0_start", "w0_exit");
    assert!(e.dashed);
    assert!(main.node("w0_goal").is_none(), "main has no goal");
}

#[test]
fn node_ids_do_not_depend_on_which_workflow_is_drawn() {
    let run = nurture(&[
        "graph",
        "examples/post_purchase.nurture",
        "--workflow",
        "club_invitation",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = graph_ok(&["examples/post_purchase.nurture"]);
    let block = workflows_of(&all)
        .into_iter()
        .find(|b| b.contains("\"workflow club_invitation"))
        .expect("the subgraph of club_invitation");
    assert_eq!(run.stdout.trim_end(), block.trim_end());
    assert!(run.stdout.contains("w2_start"));
    assert_eq!(run.stdout.matches("flowchart TD").count(), 1);
}

// --- Mermaid that hangs together ------------------------------------------------------------

/// The opening and closing brackets of the node shapes the renderer uses.
const SHAPES: &[(&str, &str)] = &[
    ("[[", "]]"),
    ("[/", "/]"),
    ("{{", "}}"),
    ("([", "])"),
    ("((", "))"),
    (">", "]"),
    ("[", "]"),
    ("{", "}"),
];

/// A Mermaid label's inside: no raw quote, nothing Mermaid reads as markup.
fn check_label(label: &str, line: &str) {
    for bad in ['"', '<', '>', '`', '|', '\n'] {
        let stripped = label.replace("<br/>", "");
        assert!(
            !stripped.contains(bad),
            "unescaped {bad:?} in a label: {line}"
        );
    }
    // Every `#` starts an entity code: `#name;` or `#123;`.
    for (i, _) in label.match_indices('#') {
        let rest = &label[i + 1..];
        let end = rest
            .find(';')
            .unwrap_or_else(|| panic!("a bare # in {line}"));
        assert!(
            end > 0 && rest[..end].chars().all(|c| c.is_ascii_alphanumeric()),
            "a bare # in {line}"
        );
    }
}

fn is_id(s: &str) -> bool {
    let mut parts = s.splitn(2, '_');
    let w = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    w.starts_with('w')
        && w.len() > 1
        && w[1..].chars().all(|c| c.is_ascii_digit())
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks one flowchart block: every line a node or an edge, labels quoted and escaped,
/// every edge between defined nodes, and every node on a path from an entry to the end.
fn check_block(block: &str) {
    let mut lines = block.lines();
    assert_eq!(lines.next(), Some(graph::mermaid::INIT), "{block}");
    assert_eq!(lines.next(), Some("flowchart TD"), "{block}");
    let mut nodes: BTreeMap<String, String> = BTreeMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    for line in lines {
        let body = line
            .strip_prefix("  ")
            .unwrap_or_else(|| panic!("not indented: {line:?}"));
        let id_end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or_else(|| panic!("a node with no label: {line:?}"));
        if let Some(rest) = body[id_end..].strip_prefix(' ') {
            // An edge: `A --> B`, `A -->|"label"| B`, `A -.->|"label"| B`.
            let from = &body[..id_end];
            let (arrow, rest) = rest.split_at(rest.find(['|', ' ']).unwrap_or(rest.len()));
            assert!(matches!(arrow, "-->" | "-.->"), "bad arrow in {line:?}");
            let to = if let Some(labelled) = rest.strip_prefix("|\"") {
                let (label, to) = labelled
                    .split_once("\"| ")
                    .unwrap_or_else(|| panic!("an edge label not quoted: {line:?}"));
                check_label(label, line);
                to
            } else {
                rest.strip_prefix(' ')
                    .unwrap_or_else(|| panic!("bad edge {line:?}"))
            };
            assert!(is_id(from) && is_id(to), "bad ids in {line:?}");
            edges.push((from.to_string(), to.to_string()));
        } else {
            // A node: `ID` then a shape around a quoted label.
            let (id, shaped) = body.split_at(id_end);
            assert!(is_id(id), "bad id in {line:?}");
            let (open, close) = SHAPES
                .iter()
                .find(|(o, c)| {
                    shaped.starts_with(&format!("{o}\"")) && shaped.ends_with(&format!("\"{c}"))
                })
                .unwrap_or_else(|| panic!("no known shape around a quoted label: {line:?}"));
            let label = &shaped[open.len() + 1..shaped.len() - close.len() - 1];
            check_label(label, line);
            assert!(
                nodes.insert(id.to_string(), label.to_string()).is_none(),
                "{id} defined twice"
            );
        }
    }
    for (from, to) in &edges {
        assert!(nodes.contains_key(from), "{from} is used but not defined");
        assert!(nodes.contains_key(to), "{to} is used but not defined");
    }
    // Every node is on a path from some node nothing points at (an entry, or the workflow
    // node when nothing starts it) to the end, or is an `exit when` / goal note.
    let ends: Vec<&String> = nodes.keys().filter(|id| id.ends_with("_end")).collect();
    assert_eq!(ends.len(), 1, "one end node in {block}");
    let sources: Vec<&String> = nodes
        .keys()
        .filter(|id| !edges.iter().any(|(_, to)| to == *id))
        .collect();
    let reach = |from: Vec<&String>, forward: bool| {
        let mut seen: BTreeSet<String> = from.iter().map(|s| s.to_string()).collect();
        let mut stack: Vec<String> = seen.iter().cloned().collect();
        while let Some(n) = stack.pop() {
            for (a, b) in &edges {
                let (here, there) = if forward { (a, b) } else { (b, a) };
                if *here == n && seen.insert(there.clone()) {
                    stack.push(there.clone());
                }
            }
        }
        seen
    };
    let from_entries = reach(sources, true);
    let to_end = reach(ends, false);
    for id in nodes.keys() {
        let note = id.ends_with("_exit") || id.ends_with("_goal");
        assert!(from_entries.contains(id), "{id} cannot be reached: {block}");
        assert!(note || to_end.contains(id), "{id} never reaches the end");
    }
}

/// The workflows of a Mermaid document, each as the document `--workflow` draws for it alone: a
/// document of one workflow as it is; of several, each subgraph taken out under its own `INIT`
/// and `flowchart TD` lines. Checks the frame on the way: one `INIT` and one `flowchart TD` at
/// the top, each subgraph `w{index}` titled `workflow NAME` and closed by `end`, its lines
/// indented under it and its node ids starting with `w{index}_`.
fn workflows_of(doc: &str) -> Vec<String> {
    let mut lines = doc.lines();
    assert_eq!(lines.next(), Some(graph::mermaid::INIT), "{doc}");
    assert_eq!(lines.next(), Some("flowchart TD"), "{doc}");
    let rest: Vec<&str> = lines.collect();
    if !rest.iter().any(|l| l.starts_with("  subgraph ")) {
        return vec![doc.to_string()];
    }
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in rest {
        if line.is_empty() {
            assert!(current.is_none(), "a blank line inside a subgraph");
        } else if let Some(head) = line.strip_prefix("  subgraph ") {
            assert!(current.is_none(), "a subgraph inside a subgraph");
            let (id, title) = head.split_once('[').expect("a titled subgraph");
            assert!(
                id.len() > 1 && id.starts_with('w') && id[1..].chars().all(|c| c.is_ascii_digit()),
                "subgraph id {id:?}"
            );
            assert!(
                title.starts_with("\"workflow ") && title.ends_with("\"]"),
                "subgraph title {title:?}"
            );
            check_label(&title[1..title.len() - 2], line);
            let block = format!("{}\nflowchart TD\n", graph::mermaid::INIT);
            current = Some((format!("{id}_"), block));
        } else if line == "  end" {
            let (_, block) = current.take().expect("an `end` closes a subgraph");
            out.push(block);
        } else {
            let (prefix, block) = current.as_mut().expect("a line outside any subgraph");
            let inner = line
                .strip_prefix("    ")
                .unwrap_or_else(|| panic!("not indented under its subgraph: {line:?}"));
            assert!(
                inner.starts_with(prefix.as_str()),
                "{inner:?} outside its subgraph"
            );
            block.push_str(&format!("  {inner}\n"));
        }
    }
    assert!(current.is_none(), "a subgraph has no `end`");
    out
}

/// A Mermaid document as `graph` prints it: one, whatever the number of workflows, each of
/// which hangs together.
fn check_mermaid(out: &str) {
    assert!(out.ends_with('\n'));
    assert_eq!(out.matches("flowchart TD").count(), 1, "{out}");
    for block in workflows_of(out) {
        check_block(block.trim_end());
    }
}

/// Issue 11, item 20: a campaign of several workflows printed several Mermaid documents one
/// after the other, which is not one valid diagram; it is one document, a subgraph each.
#[test]
fn several_workflows_are_one_document_with_a_subgraph_each() {
    let out = graph_ok(&["examples/post_purchase.nurture"]);
    let names: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("  subgraph "))
        .map(|l| l.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "w0[\"workflow mountain_bike_welcome\"]",
            "w1[\"workflow first_service\"]",
            "w2[\"workflow club_invitation\"]",
            "w3[\"workflow tune_up_winback\"]",
        ]
    );
    assert_eq!(out.matches(graph::mermaid::INIT).count(), 1);
    assert_eq!(out.lines().filter(|l| *l == "  end").count(), 4);
    check_mermaid(&out);
}

#[test]
fn mermaid_output_hangs_together() {
    for path in examples() {
        check_mermaid(&graph_ok(&[&relative(&path)]));
    }
    check_mermaid(&graph::mermaid::render(&corners()));
}

#[test]
fn the_checker_of_mermaid_output_catches_mistakes() {
    let good = "%%{init: {\"flowchart\": {\"wrappingWidth\": 400}}}%%\nflowchart TD\n  w0_start[[\"a\"]]\n  w0_end((\"end\"))\n  w0_start --> w0_end\n";
    check_block(good.trim_end());
    for bad in [
        good.replace("w0_start --> w0_end", "w0_start --> w0_s9"),
        good.replace("[[\"a\"]]", "[[a]]"),
        good.replace("[[\"a\"]]", "[[\"a \"b\" c\"]]"),
        good.replace("[[\"a\"]]", "[[\"a # b\"]]"),
        good.replace("-->", "-->|yes|"),
    ] {
        let caught = std::panic::catch_unwind(|| check_block(bad.trim_end()));
        assert!(caught.is_err(), "not caught:\n{bad}");
    }
}

#[test]
fn every_step_of_every_example_is_drawn_once() {
    // A node per step, except an `if received` folded into its wait.
    for path in examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, program) = check_text(&text);
        let program = program.expect("the examples check");
        let g = graph::build(&program, &text);
        for (wf, drawn) in program.workflows.iter().zip(&g.workflows) {
            let mut steps = 0;
            let mut folded = 0;
            let mut after_wait_up_to = false;
            nurture::check::visit::each_step(&wf.steps, &mut |s| {
                use nurture::check::program::{ExprKind, StepKind};
                steps += 1;
                if let StepKind::If { cond, .. } = &s.kind {
                    if after_wait_up_to && matches!(cond.kind, ExprKind::Received) {
                        folded += 1;
                    }
                }
                after_wait_up_to = matches!(s.kind, StepKind::WaitUpTo { .. });
            });
            let step_nodes = drawn
                .nodes
                .iter()
                .filter(|n| {
                    let part = n.id.strip_prefix(&format!("w{}_s", drawn.index));
                    part.is_some_and(|p| p.parse::<usize>().is_ok())
                })
                .count();
            assert_eq!(
                step_nodes,
                steps - folded,
                "{}: {}",
                path.display(),
                wf.name
            );
        }
    }
}

// --- The command ---------------------------------------------------------------------------

#[test]
fn dot_is_one_digraph_with_a_cluster_per_workflow() {
    let out = graph_ok(&["examples/post_purchase.nurture", "--format", "dot"]);
    assert!(out.starts_with("digraph nurture {\n"));
    assert!(out.ends_with("}\n"));
    assert_eq!(out.matches("digraph").count(), 1);
    for i in 0..4 {
        assert!(out.contains(&format!("subgraph cluster_w{i} {{")), "{out}");
    }
    let opens = out.matches('{').count() - out.matches("\\{").count();
    let closes = out.matches('}').count() - out.matches("\\}").count();
    assert_eq!(opens, closes);
}

#[test]
fn dot_escapes_quotes_and_backslashes() {
    let out = graph::dot::render(&corners());
    assert!(
        out.contains(
            r#"label="set lead.note = \"a \\\"quoted\\\"\n<note> with # & \\\\ `ticks`\""];"#
        ),
        "{out}"
    );
}

#[test]
fn an_unknown_workflow_is_a_usage_error_naming_the_workflows() {
    let run = nurture(&[
        "graph",
        "examples/b2b_scoring.nurture",
        "--workflow",
        "nurture",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(
            "has no workflow `nurture`; its workflows: nurture_track, sales_handoff, recycle"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_campaign_with_errors_shows_them_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.nurture");
    std::fs::write(
        &path,
        "campaign \"x\"\nlead { email: string }\non lead.identified start nowhere\n",
    )
    .unwrap();
    let run = nurture(&["graph", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);
    assert!(run.stderr.contains("Error"), "{}", run.stderr);
}

#[test]
fn an_unreadable_file_or_a_bad_flag_is_a_usage_error() {
    let run = nurture(&["graph", "examples/no-such-file.nurture"]);
    assert_eq!(run.code, 2);
    assert!(run
        .stderr
        .contains("cannot read examples/no-such-file.nurture"));
    let run = nurture(&["graph", "examples/ebook_welcome.nurture", "--format", "svg"]);
    assert_eq!(run.code, 2);
    let run = nurture(&["graph"]);
    assert_eq!(run.code, 2);
}

#[test]
fn a_campaign_with_no_workflows_draws_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lists.nurture");
    std::fs::write(
        &path,
        "campaign \"x\"\nlead { email: string }\nlist gmail = lead.email ends_with \"@gmail.com\"\n",
    )
    .unwrap();
    let run = nurture(&["graph", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("no workflows"));
    let run = nurture(&["graph", path.to_str().unwrap(), "--format", "dot"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("digraph nurture {"));
    let run = nurture(&["graph", path.to_str().unwrap(), "--workflow", "w"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("it has no workflows"), "{}", run.stderr);
}

#[test]
fn the_help_tells_what_is_drawn_and_the_flags() {
    let run = nurture(&["graph", "--help"]);
    assert_eq!(run.code, 0);
    for want in [
        "--workflow <NAME>",
        "--format <FORMAT>",
        "mermaid",
        "dot",
        "Exit code",
    ] {
        assert!(run.stdout.contains(want), "no {want:?} in:\n{}", run.stdout);
    }
    let top = nurture(&["--help"]);
    assert!(top.stdout.contains("graph"), "{}", top.stdout);
}

// --- The README ----------------------------------------------------------------------------

#[test]
fn the_readme_diagram_is_what_the_command_draws() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Workflow diagrams")
        .nth(1)
        .expect("a \"Workflow diagrams\" section in the README");
    let section = section.split("\n## ").next().unwrap();
    let block = section
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```mermaid block in the section");
    let drawn = graph_ok(&[
        "examples/ebook_welcome.nurture",
        "--workflow",
        "welcome_series",
    ]);
    assert_eq!(
        block, drawn,
        "the README's diagram is out of date: paste the output of \
         `nurture graph examples/ebook_welcome.nurture --workflow welcome_series`"
    );
    assert!(section.contains("nurture graph examples/ebook_welcome.nurture"));
}
