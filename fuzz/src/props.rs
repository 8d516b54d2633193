//! The properties that the fuzz targets check on every input, and that `tests/hostile.rs`
//! checks under proptest (it includes this file and `gen.rs` by path). Each returns `Err` with
//! a description of what went wrong; a panic inside Nurture is a failure too.
#![allow(dead_code)]

use crate::gen;
use nurture::check::{check_source, Program};
use nurture::compile::{compile, Compiled};
use nurture::diag::{self, FileReport, Format};
use nurture::lang::seq;
use nurture::lang::types::Ty;
use nurture::lang::value::Val;
use nurture::runtime::engine::{Engine, Options, Summary};
use nurture::runtime::intake::Reader;
use nurture::runtime::record::{Intake, Record, RecordKind};
use nurture::vm::action::Action;
use std::cell::RefCell;

/// Parser and checker on arbitrary bytes: never a panic; a program exactly when there is no
/// error; every span inside the text; every renderer copes; a program always compiles, and
/// its `.nbc` bytes load back. Returns the program, if any.
pub fn check_bytes(bytes: &[u8]) -> Result<Option<Program>, String> {
    let checked = check_source("fuzz.nurture", bytes);
    let report = &checked.report;
    let errors = report.errors();
    match (&checked.program, errors) {
        (Some(_), 0) | (None, 1..) => {}
        (Some(_), n) => return Err(format!("a program came back with {n} errors")),
        (None, 0) => return Err("no program and no error diagnostic".into()),
    }
    spans_inside(report)?;
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let out = diag::render(std::slice::from_ref(report), format, false);
        // JSON is one object a line; SARIF one document.
        let docs: Vec<&str> = match format {
            Format::Json => out.lines().collect(),
            Format::Sarif => vec![&out],
            _ => vec![],
        };
        for doc in docs {
            serde_json::from_str::<serde_json::Value>(doc)
                .map_err(|e| format!("{format:?} output is not JSON ({e}): {doc}"))?;
        }
    }
    let Some(program) = checked.program else {
        return Ok(None);
    };
    let compiled =
        compile(&program).map_err(|e| format!("a checked program fails to compile: {e:?}"))?;
    let bytes = compiled.to_bytes();
    Compiled::load(&bytes).map_err(|e| format!("compiled bytes do not load: {e}"))?;
    Ok(Some(program))
}

fn spans_inside(report: &FileReport) -> Result<(), String> {
    let len = report.file.text.len() as u32;
    for d in &report.diagnostics {
        let spans = std::iter::once(d.span).chain(d.labels.iter().map(|l| l.span));
        for span in spans {
            if span.start > span.end || span.end > len {
                return Err(format!(
                    "{:?} has span {}..{} in a text of {len} bytes: {}",
                    d.code, span.start, span.end, d.message
                ));
            }
        }
        if d.message.is_empty() {
            return Err(format!("{:?} has an empty message", d.code));
        }
    }
    Ok(())
}

/// One run of an engine over lines, as the CLI does it: the actions, the rejects and the
/// summary, after checking the invariants every run keeps.
pub struct Run {
    pub actions: Vec<Action>,
    pub rejects: Vec<(u64, String)>,
    pub summary: Summary,
}

pub fn run(engine: &mut Engine, lines: &[String], until: Option<i64>) -> Result<Run, String> {
    let mut actions = Vec::new();
    let mut rejects = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        if let Some(r) = engine.feed(line, n, &mut actions) {
            if r.line != n || r.reason.to_string().is_empty() {
                return Err(format!(
                    "line {n} rejected as line {}: {:?}",
                    r.line, r.reason
                ));
            }
            rejects.push((r.line, r.reason.to_string()));
        }
    }
    engine.finish(until, &mut actions);
    let summary = engine.summary();
    if summary.lines != lines.len() as u64 || summary.rejected != rejects.len() as u64 {
        return Err(format!(
            "summary counts {} lines and {} rejects for {} and {}",
            summary.lines,
            summary.rejected,
            lines.len(),
            rejects.len()
        ));
    }
    let counted = actions.iter().filter(|a| !a.kind.is_membership()).count() as u64;
    if summary.stats.actions != counted {
        return Err(format!(
            "summary counts {} actions, the run emitted {counted}",
            summary.stats.actions
        ));
    }
    for w in actions.windows(2) {
        if w[0].at > w[1].at {
            return Err(format!(
                "actions go back in time: {:?} then {:?}",
                w[0], w[1]
            ));
        }
    }
    for a in &actions {
        let line = nurture::runtime::output::line(a);
        serde_json::from_str::<serde_json::Value>(&line)
            .map_err(|e| format!("an action is not JSON ({e}): {line}"))?;
    }
    Ok(Run {
        actions,
        rejects,
        summary,
    })
}

/// The VM on a random well-typed campaign and a random event stream: the campaign checks
/// clean, compiles, and two runs (one from the checked program, one from its `.nbc` bytes)
/// give the same actions, rejects and summary.
pub fn vm(data: &[u8]) -> Result<(), String> {
    let mut src = gen::Src::new(data);
    let campaign = gen::campaign(&mut src);
    let strict = src.chance(30);
    let (lines, until) = gen::stream(&mut src, &campaign, 64);
    vm_run(&campaign.text, &lines, until, strict)
}

pub fn vm_run(
    text: &str,
    lines: &[String],
    until: Option<i64>,
    strict: bool,
) -> Result<(), String> {
    let checked = check_source("generated.nurture", text.as_bytes());
    let Some(program) = checked.program else {
        let shown = diag::render(&[checked.report], Format::Human, false);
        return Err(format!(
            "a generated campaign does not check:\n{text}\n{shown}"
        ));
    };
    let options = Options { strict };
    let compiled = compile(&program).map_err(|e| format!("does not compile: {e:?}\n{text}"))?;
    let loaded =
        Compiled::load(&compiled.to_bytes()).map_err(|e| format!("does not load: {e}\n{text}"))?;
    let mut first = Engine::new(&program, &options).map_err(|e| format!("{e:?}"))?;
    let mut second = Engine::from_compiled(loaded, &options);
    let a = run(&mut first, lines, until)?;
    let b = run(&mut second, lines, until)?;
    if a.actions != b.actions {
        let at = a
            .actions
            .iter()
            .zip(&b.actions)
            .position(|(x, y)| x != y)
            .unwrap_or(a.actions.len().min(b.actions.len()));
        return Err(format!(
            "two runs differ at action {at} ({} and {} actions): {:?} / {:?}\n{text}",
            a.actions.len(),
            b.actions.len(),
            a.actions.get(at),
            b.actions.get(at)
        ));
    }
    if a.rejects != b.rejects || a.summary != b.summary {
        return Err(format!(
            "two runs differ: {:?} / {:?}, {:?} / {:?}",
            a.rejects, b.rejects, a.summary, b.summary
        ));
    }
    Ok(())
}

/// A campaign whose schema has every type the intake reads, with more than eight attributes
/// and properties so that both of the intake's name lookups (scan and hash) are used.
pub const ALL_TYPES: &str = r#"campaign "Intake types"

lead {
  email: string
  first_name: string?
  age: int?
  spend: number = 0
  vip: bool = false
  stage: Stage = cold
  timezone: timezone = "UTC"
  signed_up: time?
  trial: duration?
  best_hour: int?
  interests: list<string> = []
  country: string?
}

enum Stage { cold, warm, hot }

event everything.happened as "Everything Happened" {
  s: string, os: string?, i: int, oi: int?, n: number, on: number?, b: bool, ob: bool?,
  st: Stage, ost: Stage?, t: time, ot: time?, d: duration, od: duration?, tz: timezone?,
  l: list<string>?
}
event bare.event

list heating = lead.stage == Stage.warm or (did everything.happened where i > 3 within 1d)
score activity {
  decay 50% every 7d
  on everything.happened where n > 1.5 add 3
  on bare.event add 1 at most 2 times per 1d
}

on everything.happened where b start follow
on enter heating notify sales "{lead.email} warmed up ({activity})"

workflow follow {
  exit when did email.unsubscribed
  send email "hello"
  wait up to 1d for bare.event
  if received { set lead.vip = true }
}

policy { frequency email at most 2 per 1d }
"#;

/// The campaigns the intake target reads against: `ALL_TYPES` and the examples.
pub const INTAKE_CAMPAIGNS: &[&str] = &[
    ALL_TYPES,
    include_str!("../../examples/b2b_scoring.nurture"),
    include_str!("../../examples/cart_recovery.nurture"),
    include_str!("../../examples/fashion_segments.nurture"),
];

thread_local! {
    static PROGRAMS: RefCell<Vec<Option<Program>>> = const { RefCell::new(Vec::new()) };
}

/// Checks one of `INTAKE_CAMPAIGNS` once per thread.
fn with_program<T>(i: usize, f: impl FnOnce(&Program) -> T) -> T {
    PROGRAMS.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_empty() {
            p.resize(INTAKE_CAMPAIGNS.len(), None);
        }
        let program = p[i].get_or_insert_with(|| {
            let checked = check_source("intake.nurture", INTAKE_CAMPAIGNS[i].as_bytes());
            checked.program.expect("the intake campaigns check")
        });
        f(program)
    })
}

/// The intake on arbitrary lines: the first byte picks a campaign, strictness and whether an
/// engine runs too; the rest is split into lines. Each line the reader accepts has values of
/// the declared types, and each it refuses has a reason; when the engine runs (it costs a
/// compile per input), it takes every line as `nurture run` would.
pub fn intake(data: &[u8]) -> Result<(), String> {
    let (first, rest) = data.split_first().unwrap_or((&0, &[]));
    let which = (*first & 0x0f) as usize % INTAKE_CAMPAIGNS.len();
    let with_engine = first & 0x40 != 0;
    let strict = first & 0x80 != 0;
    with_program(which, |program| {
        let mut reader = Reader::new(program, strict);
        let mut texts = nurture::compile::expr::Texts::default();
        let mut record = Record::default();
        let mut engine = match with_engine {
            true => Some(Engine::new(program, &Options { strict }).map_err(|e| format!("{e:?}"))?),
            false => None,
        };
        let mut actions = Vec::new();
        for (i, raw) in rest.split(|&b| b == b'\n').enumerate() {
            let n = i as u64 + 1;
            let Ok(line) = std::str::from_utf8(raw) else {
                if let Some(engine) = &mut engine {
                    engine.reject_external();
                }
                continue;
            };
            match reader.read(line, n, &mut texts, &mut record) {
                Intake::Record => record_fits(program, &record)
                    .map_err(|e| format!("line {n} {line:?}: {e}: {record:?}"))?,
                Intake::Skipped { name } if name.is_empty() && !line.trim().is_empty() => {
                    return Err(format!("line {n} skipped without a name"))
                }
                Intake::Skipped { .. } => {}
                Intake::Rejected(r) => {
                    if r.line != n || r.reason.to_string().is_empty() {
                        return Err(format!("line {n} rejected as {}: {:?}", r.line, r.reason));
                    }
                }
            }
            if let Some(engine) = &mut engine {
                engine.feed(line, n, &mut actions);
            }
        }
        if let Some(engine) = &mut engine {
            engine.finish(None, &mut actions);
        }
        for w in actions.windows(2) {
            if w[0].at > w[1].at {
                return Err(format!(
                    "actions go back in time: {:?} then {:?}",
                    w[0], w[1]
                ));
            }
        }
        Ok(())
    })
}

/// Whether a record the intake accepted has values of the declared types.
fn record_fits(program: &Program, r: &Record) -> Result<(), String> {
    if r.lead.is_empty() {
        return Err("a record without a lead".into());
    }
    match &r.kind {
        RecordKind::Track { event, props } => {
            let def = program
                .events
                .get(*event as usize)
                .ok_or("an event the campaign does not declare")?;
            if props.len() != def.props.len() {
                return Err(format!(
                    "{} values for {} properties",
                    props.len(),
                    def.props.len()
                ));
            }
            for (p, v) in def.props.iter().zip(props) {
                if !fits(program, &p.ty, *v, &r.texts) {
                    return Err(format!("property `{}` holds {v:?}", p.name));
                }
                let read = !matches!(p.ty, Ty::List(_)) || list_item(&p.ty).is_some();
                let required = !p.ty.is_optional() && read;
                if required && v.is_missing() {
                    return Err(format!("required property `{}` is missing", p.name));
                }
            }
        }
        RecordKind::Identify { traits, .. } => {
            for (a, v) in traits {
                let def = program
                    .attrs
                    .get(*a as usize)
                    .ok_or("an attribute the campaign does not declare")?;
                if matches!(def.ty.base(), Ty::List(_)) {
                    return Err(format!("list attribute `{}` was read", def.name));
                }
                if !fits(program, &def.ty, *v, &r.texts) {
                    return Err(format!("trait `{}` holds {v:?}", def.name));
                }
                if v.is_missing() && !def.ty.is_optional() {
                    return Err(format!("required trait `{}` set to missing", def.name));
                }
            }
        }
    }
    Ok(())
}

/// The item type of a list the intake reads (`list<string>`, `list<int>`, `list<number>`).
fn list_item(ty: &Ty) -> Option<&Ty> {
    match ty.base() {
        Ty::List(t) if matches!(**t, Ty::Str | Ty::Int | Ty::Number) => Some(t),
        _ => None,
    }
}

fn fits(program: &Program, ty: &Ty, v: Val, texts: &[String]) -> bool {
    if let Val::PropSeq(i) = v {
        // Every item of the encoding has the list's item type, and the encoding reads whole.
        let (Some(item), Some(enc)) = (list_item(ty), texts.get(i as usize)) else {
            return false;
        };
        let mut len = 0;
        let all = seq::items(enc).all(|x| {
            len += match x {
                seq::Item::Text(t) => format!("t{}:", t.len()).len() + t.len(),
                seq::Item::Int(n) => format!("i{n};").len(),
                seq::Item::Num(n) => format!("n{n};").len(),
            };
            matches!(
                (item, x),
                (Ty::Str, seq::Item::Text(_))
                    | (Ty::Int, seq::Item::Int(_))
                    | (Ty::Number, seq::Item::Num(_))
            )
        });
        return all && len == enc.len();
    }
    let texts = texts.len();
    match (ty.base(), v) {
        (_, Val::Missing) => true,
        (Ty::Bool, Val::Bool(_)) | (Ty::Int, Val::Int(_)) | (Ty::Number, Val::Num(_)) => true,
        (Ty::Duration, Val::Dur(_)) | (Ty::Time, Val::Time(_)) => true,
        (Ty::TimeOfDay, Val::Tod(m)) => m < 24 * 60,
        (Ty::Str | Ty::Timezone, Val::PropText(i)) => (i as usize) < texts,
        (Ty::Enum(e), Val::Enum(i)) => program
            .enums
            .get(*e as usize)
            .is_some_and(|d| (i as usize) < d.variants.len()),
        _ => false,
    }
}
