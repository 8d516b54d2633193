//! What a report reads: the actions of a run (from the engine as it runs, or from the lines a
//! previous `run` wrote) and the engagement events of the log (`email.opened`,
//! `email.clicked`, `email.unsubscribed`, `sms.clicked` with their `template`), reduced to
//! small facts keyed by numbers.

use super::ReportError;
use crate::compile::program::{op_label, WOp};
use crate::compile::Compiled;
use crate::intern::Interner;
use crate::lang::modes::Channel;
use crate::lang::value::Val;
use crate::runtime::intake::parse_rfc3339;
use crate::runtime::record::{Record, RecordKind};
use crate::vm::action::{Action, ActionKind, Source};
use serde::Deserialize;
use std::collections::HashMap;

/// A step of a workflow, as its records name it (`send email "welcome"`); steps of the same
/// label in one workflow are counted together.
pub type StepId = u32;

/// One action, as the report needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Act {
    pub lead: u32,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub what: What,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum What {
    /// A lead enrolled in a workflow's holdout.
    Holdout { workflow: u16 },
    /// A run took a split's arm (`variant` numbers the workflow's arm labels).
    Assigned { workflow: u16, variant: u32 },
    /// A goal met, by a lead held out or not.
    Converted { workflow: u16, holdout: bool },
    /// A send that went out: `step` when a workflow's step sent it.
    Sent {
        step: Option<(u16, StepId)>,
        channel: Channel,
        template: u32,
    },
    /// A send a rule stopped (`rule` numbers the rules' texts).
    Suppressed {
        step: Option<(u16, StepId)>,
        rule: u32,
    },
    /// Any other action of a workflow's step.
    Step { workflow: u16, step: StepId },
    /// A lead seen in a run of the workflow while the engine ran.
    Enrolled { workflow: u16 },
}

/// An engagement event: what a lead did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engaged {
    Opened,
    Clicked,
    Unsubscribed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Engagement {
    pub lead: u32,
    pub at: i64,
    pub kind: Engaged,
    pub template: u32,
}

/// A workflow's shape, from the program: its steps' labels and its splits' arms.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub name: String,
    /// Labels of the steps that act (send, notify, set …), in instruction order, once each.
    pub steps: Vec<String>,
    /// Per split, in instruction order: its arms' variant numbers (`Facts::variants`).
    pub splits: Vec<Vec<u32>>,
    /// The goal's `within` window in milliseconds, if any.
    pub window: Option<i64>,
    pub has_goal: bool,
}

/// Everything a report is measured from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub campaign: Option<String>,
    pub workflows: Vec<Shape>,
    pub leads: Interner,
    pub templates: Interner,
    pub rules: Interner,
    pub variants: Interner,
    pub acts: Vec<Act>,
    pub engagement: Vec<Engagement>,
    /// Lines of the events log the intake could not use.
    pub rejected: u64,
}

/// The engagement events a report joins, by their Nurture names.
fn engaged(event: &str) -> Option<Engaged> {
    match event {
        "email.opened" => Some(Engaged::Opened),
        "email.clicked" | "sms.clicked" => Some(Engaged::Clicked),
        "email.unsubscribed" => Some(Engaged::Unsubscribed),
        _ => None,
    }
}

/// Collects facts from a program's actions and records.
pub struct Collector {
    pub facts: Facts,
    workflow_ids: HashMap<String, u16>,
    /// Per workflow: step label → its number.
    step_ids: Vec<HashMap<String, StepId>>,
    /// Per event: its engagement kind and the index of its `template` property.
    engagement_events: Vec<Option<(Engaged, usize)>>,
    /// Trigger names with their lines, to recognise a trigger's actions.
    triggers: Vec<(String, u32)>,
    /// Per workflow, by lead number: whether the engine showed the lead in a run already
    /// (one `Enrolled` fact a lead is enough).
    seen_in_run: Vec<Vec<bool>>,
}

impl Collector {
    pub fn new(c: &Compiled) -> Collector {
        let mut facts = Facts {
            campaign: c.campaign.clone(),
            ..Facts::default()
        };
        let mut step_ids = Vec::new();
        for w in &c.workflows {
            let mut shape = Shape {
                name: w.name.clone(),
                window: w.goal_window,
                has_goal: w.goal.is_some(),
                ..Shape::default()
            };
            let mut ids = HashMap::new();
            for op in &w.ops {
                if let WOp::Split { arms, .. } = op {
                    let arms = arms
                        .iter()
                        .map(|(_, _, label)| facts.variants.intern(label).0)
                        .collect();
                    shape.splits.push(arms);
                } else if acts(op) {
                    let label = op_label(c, op);
                    if !ids.contains_key(&label) {
                        ids.insert(label.clone(), shape.steps.len() as StepId);
                        shape.steps.push(label);
                    }
                }
            }
            step_ids.push(ids);
            facts.workflows.push(shape);
        }
        let engagement_events = c
            .events
            .iter()
            .map(|e| {
                let kind = engaged(&e.name)?;
                let prop = e.props.iter().position(|(n, _)| n == "template")?;
                Some((kind, prop))
            })
            .collect();
        Collector {
            workflow_ids: c
                .workflows
                .iter()
                .enumerate()
                .map(|(i, w)| (w.name.clone(), i as u16))
                .collect(),
            facts,
            step_ids,
            engagement_events,
            triggers: c
                .triggers
                .iter()
                .map(|t| (t.name.clone(), t.line))
                .collect(),
            seen_in_run: vec![Vec::new(); c.workflows.len()],
        }
    }

    /// An input record: kept when it is an engagement event with its template.
    pub fn record(&mut self, r: &Record) {
        let RecordKind::Track { event, props } = &r.kind else {
            return;
        };
        let Some(Some((kind, prop))) = self.engagement_events.get(*event as usize) else {
            return;
        };
        let template = match props.get(*prop) {
            Some(Val::PropText(i)) => r.texts.get(*i as usize).map(String::as_str),
            _ => None,
        };
        let Some(template) = template else {
            return;
        };
        let lead = self.facts.leads.intern(&r.lead).0;
        let template = self.facts.templates.intern(template).0;
        self.facts.engagement.push(Engagement {
            lead,
            at: r.at,
            kind: *kind,
            template,
        });
    }

    /// A lead the engine shows in a run of workflow `w`: kept the first time.
    pub fn enrolled(&mut self, lead: &str, at: i64, workflow: u16) {
        let lead = self.facts.leads.intern(lead).0;
        let seen = &mut self.seen_in_run[workflow as usize];
        if seen.len() <= lead as usize {
            seen.resize(lead as usize + 1, false);
        }
        if !std::mem::replace(&mut seen[lead as usize], true) {
            self.push(lead, at, What::Enrolled { workflow });
        }
    }

    fn push(&mut self, lead: u32, at: i64, what: What) {
        self.facts.acts.push(Act { lead, at, what });
    }

    fn step(&self, workflow: u16, label: &str) -> Option<StepId> {
        self.step_ids[workflow as usize].get(label).copied()
    }

    /// An action of the engine running this program.
    pub fn action(&mut self, a: &Action) {
        let step = match &a.source {
            Source::Workflow { workflow, step, .. } => self
                .workflow_ids
                .get(workflow.as_str())
                .map(|&w| (w, self.step(w, step))),
            _ => None,
        };
        let workflow_named = |name: &str| self.workflow_ids.get(name).copied();
        let what = match &a.kind {
            ActionKind::Send { channel, template } => What::Sent {
                step: step.and_then(|(w, s)| Some((w, s?))),
                channel: *channel,
                template: self.facts.templates.intern(template).0,
            },
            ActionKind::Suppressed { rule, .. } => What::Suppressed {
                step: step.and_then(|(w, s)| Some((w, s?))),
                rule: self.facts.rules.intern(rule).0,
            },
            ActionKind::Converted {
                workflow, holdout, ..
            } => match workflow_named(workflow) {
                Some(w) => What::Converted {
                    workflow: w,
                    holdout: holdout.unwrap_or(false),
                },
                None => return,
            },
            ActionKind::HeldOut { workflow } => match workflow_named(workflow) {
                Some(w) => What::Holdout { workflow: w },
                None => return,
            },
            ActionKind::Assigned => match (step, a.source.variant()) {
                (Some((w, _)), Some(v)) => What::Assigned {
                    workflow: w,
                    variant: self.facts.variants.intern(v).0,
                },
                _ => return,
            },
            ActionKind::Entered { .. } | ActionKind::Exited { .. } => return,
            _ => match step {
                Some((w, Some(s))) => What::Step {
                    workflow: w,
                    step: s,
                },
                _ => return,
            },
        };
        let lead = self.facts.leads.intern(&a.lead).0;
        self.push(lead, a.at, what);
    }

    /// One line a previous `run` wrote (line `line_no` of the actions file), checked against
    /// this program: a workflow, step, trigger or split arm it does not have means the
    /// actions come from another campaign.
    pub fn action_line(&mut self, text: &str, line_no: u64) -> Result<(), ReportError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let bad = |reason: String| ReportError::NotAnAction {
            line: line_no,
            reason,
        };
        let l: Line<'_> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let at = parse_rfc3339(&l.at).ok_or_else(|| bad(format!("`at` {} is not a time", l.at)))?;
        let foreign = |what: String| ReportError::ForeignActions {
            line: line_no,
            what,
        };
        let workflow = match l.workflow.as_deref() {
            Some(name) => Some(
                self.workflow_ids
                    .get(name)
                    .copied()
                    .ok_or_else(|| foreign(format!("workflow `{name}`")))?,
            ),
            None => None,
        };
        if let (Some(name), Some(line)) = (l.trigger.as_deref(), l.line) {
            if !self.triggers.iter().any(|(n, at)| n == name && *at == line) {
                return Err(foreign(format!("trigger `{name}` on line {line}")));
            }
        }
        let step = match (workflow, l.step.as_deref()) {
            (Some(w), Some(label)) if l.action != "assigned" && l.action != "holdout" => Some((
                w,
                self.step(w, label).ok_or_else(|| {
                    foreign(format!(
                        "step `{label}` of workflow `{}`",
                        l.workflow.as_deref().unwrap_or_default()
                    ))
                })?,
            )),
            _ => None,
        };
        let variant = match (&l.variant, workflow) {
            (Some(v), Some(w)) => {
                let known = self.facts.variants.get(v).filter(|id| {
                    self.facts.workflows[w as usize]
                        .splits
                        .iter()
                        .any(|arms| arms.contains(id))
                });
                Some(known.ok_or_else(|| foreign(format!("split arm \"{v}\"")))?)
            }
            _ => None,
        };
        let need_workflow =
            || workflow.ok_or_else(|| bad(format!("a `{}` record names no workflow", l.action)));
        let what = match l.action.as_ref() {
            "send" => What::Sent {
                step,
                channel: l
                    .channel
                    .as_deref()
                    .and_then(Channel::parse)
                    .ok_or_else(|| bad("a send names no channel".into()))?,
                template: self
                    .facts
                    .templates
                    .intern(l.template.as_deref().unwrap_or_default())
                    .0,
            },
            "suppressed" => What::Suppressed {
                step,
                rule: self
                    .facts
                    .rules
                    .intern(l.rule.as_deref().unwrap_or_default())
                    .0,
            },
            "converted" => What::Converted {
                workflow: need_workflow()?,
                holdout: l.holdout.unwrap_or(false),
            },
            "holdout" => What::Holdout {
                workflow: need_workflow()?,
            },
            "assigned" => What::Assigned {
                workflow: need_workflow()?,
                variant: variant
                    .ok_or_else(|| bad("an `assigned` record names no variant".into()))?,
            },
            "enter" | "exit" | "error" => return Ok(()),
            _ => match step {
                Some((workflow, step)) => What::Step { workflow, step },
                None => return Ok(()),
            },
        };
        let lead = self.facts.leads.intern(&l.lead).0;
        self.push(lead, at, what);
        Ok(())
    }
}

/// Whether a workflow instruction emits an action: a step the report counts.
fn acts(op: &WOp) -> bool {
    matches!(
        op,
        WOp::Send { .. }
            | WOp::Notify { .. }
            | WOp::Retarget { .. }
            | WOp::Webhook { .. }
            | WOp::Set { .. }
            | WOp::Tag { .. }
    )
}

/// The fields of an action record the report reads (docs/language.md, "Output records").
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    at: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    lead: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    action: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    channel: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    template: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    rule: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    workflow: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    step: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    variant: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    trigger: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    holdout: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAMPAIGN: &str = r#"campaign "Collect"
lead { email: string }
event signed_up { plan: string }
on signed_up start welcome
on signed_up tag "new"
workflow welcome {
  goal did order.placed within 7d
  send email "hello"
  split {
    50% "A": send email "a"
    50% "B": send email "b"
  }
}
"#;

    fn collector() -> Collector {
        let (_, program) = crate::check::check_text(CAMPAIGN);
        Collector::new(&crate::compile::compile(&program.unwrap()).unwrap())
    }

    fn refused(line: &str) -> String {
        collector().action_line(line, 7).unwrap_err().to_string()
    }

    #[test]
    fn actions_of_this_campaign_are_read() {
        let mut c = collector();
        let lines = [
            r#"{"at":"2026-01-01T00:00:00Z","lead":"ann","action":"send","channel":"email","template":"hello","workflow":"welcome","step":"send email \"hello\"","id":"1"}"#,
            r#"{"at":"2026-01-01T00:00:00Z","lead":"ann","action":"tag","tag":"new","trigger":"on signed_up","line":5,"id":"2"}"#,
            r#"{"at":"2026-01-01T00:00:00Z","lead":"ann","action":"assigned","workflow":"welcome","step":"split","variant":"B","id":"3"}"#,
            r#"{"at":"2026-01-02T00:00:00Z","lead":"ann","action":"converted","workflow":"welcome","variant":"B","id":"4"}"#,
        ];
        for (i, l) in lines.iter().enumerate() {
            c.action_line(l, i as u64 + 1).unwrap();
        }
        let kinds: Vec<&What> = c.facts.acts.iter().map(|a| &a.what).collect();
        assert!(matches!(
            kinds[0],
            What::Sent {
                step: Some((0, 0)),
                channel: Channel::Email,
                ..
            }
        ));
        assert!(matches!(kinds[1], What::Assigned { workflow: 0, .. }));
        assert!(matches!(
            kinds[2],
            What::Converted {
                workflow: 0,
                holdout: false
            }
        ));
        assert_eq!(c.facts.acts[2].at, 1_767_312_000_000);
    }

    #[test]
    fn actions_of_another_campaign_are_refused() {
        let step = r#"{"at":"2026-01-01T00:00:00Z","lead":"ann","action":"send","channel":"email","template":"bye","workflow":"welcome","step":"send email \"bye\"","id":"1"}"#;
        assert!(refused(step).starts_with(
            "line 7 of the actions names step `send email \"bye\"` of workflow `welcome`, which this campaign does not have"
        ));
        let trigger = r#"{"at":"2026-01-01T00:00:00Z","lead":"ann","action":"tag","tag":"new","trigger":"on signed_up","line":9,"id":"2"}"#;
        assert!(refused(trigger).contains("names trigger `on signed_up` on line 9"));
        let arm = r#"{"at":"2026-01-01T00:00:00Z","lead":"ann","action":"assigned","workflow":"welcome","step":"split","variant":"C","id":"3"}"#;
        assert!(refused(arm).contains("names split arm \"C\""));
        assert!(refused("not json").starts_with("line 7 of the actions is not an action record"));
    }
}
