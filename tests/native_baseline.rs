//! The native baseline (benches/support/native.rs) and the VM give the same actions on the
//! small reference workload: the baseline is only a baseline if it does the same work.

#![allow(dead_code)]

#[path = "../benches/support/native.rs"]
mod native;
#[path = "../benches/support/workload.rs"]
mod workload;

use native::{Act, Native, Src};
use nurture::runtime::engine::{Engine, Options};
use nurture::vm::action::{Action, ActionKind, Source};

/// (time, lead, kind, what, source): what both sides must agree on.
type Row = (i64, String, &'static str, String, String);

fn vm_row(a: &Action) -> Row {
    let what = match &a.kind {
        ActionKind::Send { channel, template } => format!("{} {template}", channel.name()),
        ActionKind::Suppressed {
            channel,
            template,
            rule,
        } => format!("{} {template} / {rule}", channel.name()),
        ActionKind::Notify { message, .. } => message.clone(),
        ActionKind::Set { attr, value } => format!("{attr}={}", value.as_str().unwrap_or("?")),
        ActionKind::Tag { tag, .. } => tag.clone(),
        ActionKind::Converted {
            workflow, variant, ..
        } => format!("{workflow} {variant:?}"),
        ActionKind::Assigned => format!("{:?}", a.source.variant()),
        ActionKind::HeldOut { workflow } => format!("holdout {workflow}"),
        ActionKind::Entered { list } | ActionKind::Exited { list } => list.to_string(),
        other => format!("{other:?}"),
    };
    let source = match &a.source {
        Source::Workflow { workflow, .. } => format!("workflow {workflow}"),
        Source::Trigger { index, .. } => format!("trigger {index}"),
        Source::Engine => "engine".to_string(),
    };
    (a.at, a.lead.to_string(), a.kind.name(), what, source)
}

fn native_row((at, lead, act, src): &(i64, String, Act, Src)) -> Row {
    let (kind, what) = match act {
        Act::Send(ch, t) => ("send", format!("{ch} {t}")),
        Act::Suppressed(ch, t, rule) => ("suppressed", format!("{ch} {t} / {rule}")),
        Act::Notify(m) => ("notify", m.clone()),
        Act::SetStage(s) => ("set", format!("stage={s}")),
        Act::Tag(t) => ("tag", t.to_string()),
        Act::Converted(variant) => match src {
            Src::Workflow(w) => (
                "converted",
                format!("{} {variant:?}", native::WORKFLOWS[*w as usize]),
            ),
            _ => ("converted", String::new()),
        },
        Act::Assigned(variant) => ("assigned", format!("{:?}", Some(variant))),
        Act::Entered(l) => ("enter", l.to_string()),
        Act::Exited(l) => ("exit", l.to_string()),
    };
    let source = match (act, src) {
        (Act::Converted(_), _) | (_, Src::Engine) => "engine".to_string(),
        (_, Src::Workflow(w)) => format!("workflow {}", native::WORKFLOWS[*w as usize]),
        (_, Src::Trigger(i)) => format!("trigger {i}"),
    };
    (*at, lead.clone(), kind, what, source)
}

/// Both sides' actions in the order each produced them, then ordered by time and lead
/// (stably, so each lead's own order is kept): timers of different leads due in the same
/// second may fire in another order on each side, and that order is not part of the contract.
fn both(lines: &[String], until: i64) -> (Vec<Row>, Vec<Row>) {
    let source = include_str!("../benches/reference.nurture");
    let (diags, program) = nurture::check::check_text(source);
    assert!(
        diags.is_empty(),
        "the reference campaign checks clean: {diags:?}"
    );
    let program = program.expect("the reference campaign checks");
    let mut engine = Engine::new(&program, &Options::default()).expect("compiles");
    let mut vm: Vec<Action> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        assert!(
            engine.feed(l, i as u64 + 1, &mut vm).is_none(),
            "line {i} rejected"
        );
    }
    engine.finish(Some(until), &mut vm);
    let mut nat = Native::new();
    let mut out = Vec::new();
    for l in lines {
        if let Some(r) = native::parse(l) {
            nat.feed(&r, &mut out);
        }
    }
    nat.finish(until, &mut out);
    let mut a: Vec<Row> = vm.iter().map(vm_row).collect();
    let mut b: Vec<Row> = out.iter().map(native_row).collect();
    a.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    b.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    (a, b)
}

#[test]
fn the_native_baseline_gives_the_vms_actions() {
    // NURTURE_BASELINE_SEED tries another workload of the same size.
    let seed = std::env::var("NURTURE_BASELINE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let lines = workload::reference(seed, workload::Size::Small);
    let last = native::parse(lines.last().expect("lines")).map_or(0, |r| r.at);
    let (vm, nat) = both(&lines, last + 40 * 86_400);
    let first = vm.iter().zip(&nat).position(|(a, b)| a != b);
    if let Some(i) = first.or((vm.len() != nat.len()).then_some(vm.len().min(nat.len()))) {
        let lead = vm
            .get(i)
            .or(nat.get(i))
            .map(|r| r.1.clone())
            .unwrap_or_default();
        let of = |rows: &[Row]| -> Vec<String> {
            rows.iter()
                .filter(|r| r.1 == lead)
                .map(|r| format!("{r:?}"))
                .collect()
        };
        panic!(
            "first difference at action {i} of {} (vm) / {} (native), lead {lead}\nvm:\n{}\nnative:\n{}",
            vm.len(),
            nat.len(),
            of(&vm).join("\n"),
            of(&nat).join("\n")
        );
    }
    eprintln!("seed {seed}: {} actions agree", vm.len());
    // The workload exercises every kind of action.
    for kind in [
        "send",
        "suppressed",
        "notify",
        "set",
        "tag",
        "converted",
        "assigned",
        "enter",
        "exit",
    ] {
        assert!(
            vm.iter().any(|r| r.2 == kind),
            "no {kind} action in the workload"
        );
    }
    // Every list is entered, and left where it can be: `within` windows closing and the
    // decaying score taking leads out of `hot` are exercised too.
    for list in native::LISTS {
        assert!(
            vm.iter().any(|r| r.2 == "enter" && r.3 == list),
            "nobody enters {list}"
        );
    }
    for list in [
        "hot",
        "pricing_visitors",
        "cart_abandoners",
        "engaged",
        "active_trials",
        "clickers",
        "gone_quiet",
    ] {
        assert!(
            vm.iter().any(|r| r.2 == "exit" && r.3 == list),
            "nobody leaves {list}"
        );
    }
    // Leaving `hot` with no input record at that second: the decay crossing.
    let inputs: std::collections::HashSet<(i64, String)> = lines
        .iter()
        .filter_map(|l| native::parse(l).map(|r| (r.at, r.lead)))
        .collect();
    assert!(
        vm.iter()
            .any(|r| r.2 == "exit" && r.3 == "hot" && !inputs.contains(&(r.0, r.1.clone()))),
        "no lead leaves hot as its score decays"
    );
}
