//! The sections after the lead state, in listing order: attributes and enums, events, the
//! pools, history predicates, scores, lists, the derive order, triggers, workflows, policy
//! and the dispatch tables.

use super::slab::{bit_pos, ring_pos, time_pos};
use super::{Ctx, Disasm};
use crate::compile::layout::{AttrSlot, Kept};
use crate::compile::program::{Derived, ScoreKind, TriggerSource, SCORE_WORDS};
use crate::compile::regions::stamps;
use crate::lang::format;
use crate::lang::modes::Enroll;
use crate::lang::ops::HistoryKind;
use crate::lang::value::Val;
use std::fmt::Write;

impl Disasm<'_> {
    pub(super) fn attrs(&mut self) {
        let c = self.c;
        self.section("attributes");
        for (i, a) in c.attrs.iter().enumerate() {
            let at = match c.layout.attrs[i] {
                _ if i as u16 == c.tags_attr => "-".into(),
                AttrSlot::Words(at) => format!("@{at}"),
                AttrSlot::Bits(f) => bit_pos(f.at, f.width),
            };
            let mut line = format!("a{i:<3} {at:<5} {}: {}", a.name, self.ty(&a.ty));
            if i as u16 == c.tags_attr {
                line.push_str(" (kept beside the slab)");
            } else if !a.default.is_missing() {
                let _ = write!(line, " = {}", self.val(a.default, Self::enum_of(&a.ty)));
            }
            if c.timezone_attr == Some(i as u16) {
                line.push_str(" (the lead's time zone)");
            }
            let _ = writeln!(self.out, "{line}");
        }
        if !c.enums.is_empty() {
            self.section("enums");
            for (i, e) in c.enums.iter().enumerate() {
                let _ = writeln!(self.out, "enum{i:<3} {}", e.join(" "));
            }
        }
    }

    pub(super) fn events(&mut self) {
        self.section("events");
        for (i, e) in self.c.events.iter().enumerate() {
            let props = e
                .props
                .iter()
                .map(|(n, t)| format!("{n}: {}", self.ty(t)))
                .collect::<Vec<_>>()
                .join(", ");
            let mut line = format!("e{i:<3} {}", e.name);
            if e.segment_name != e.name {
                let _ = write!(line, " as {:?}", e.segment_name);
            }
            if !props.is_empty() {
                let _ = write!(line, " {{ {props} }}");
            }
            let _ = writeln!(self.out, "{line}");
        }
    }

    pub(super) fn pools(&mut self) {
        let p = &self.c.pools;
        self.section("constants");
        for (i, v) in p.consts.iter().enumerate() {
            let e = self.const_enums.get(i).copied().flatten();
            let mut line = format!("c{i:<3} {}", self.val(*v, e));
            if let Some(e) = e {
                let _ = write!(line, " (enum{e})");
            }
            let _ = writeln!(self.out, "{line}");
        }
        self.section("texts");
        for (i, t) in p.texts.iter().enumerate() {
            let _ = writeln!(self.out, "t{i:<3} {t:?}");
        }
        if !p.lists.is_empty() {
            // A list of variants takes its enum from a constant that holds it.
            let mut list_enums = vec![None; p.lists.len()];
            for (v, e) in p.consts.iter().zip(&self.const_enums) {
                if let (Val::List(l), Some(e)) = (v, e) {
                    if let Some(slot) = list_enums.get_mut(*l as usize) {
                        *slot = Some(*e);
                    }
                }
            }
            self.section("constant lists");
            for (i, e) in list_enums.into_iter().enumerate() {
                let _ = writeln!(self.out, "{}", self.val(Val::List(i as u32), e));
            }
        }
        if !p.regexes.is_empty() {
            self.section("regexes");
            for (i, r) in p.regexes.iter().enumerate() {
                let _ = writeln!(self.out, "r{i:<3} /{}/", r.as_str());
            }
        }
    }

    pub(super) fn history(&mut self) {
        let c = self.c;
        self.section("history predicates");
        for (i, h) in c.pools.history.iter().enumerate() {
            self.plain(&format!("h{i} {}", self.history_desc(i as u16)));
            let Some(&kept) = c.layout.history.get(i) else {
                continue;
            };
            let kept = match (h.kind, kept) {
                (HistoryKind::Count, Kept::Counter(at)) => format!("counter @{at}: matches ever"),
                (_, Kept::Last(t)) => format!("key {}: the latest match", time_pos(t)),
                (_, Kept::Counter(at)) => format!("counter @{at}"),
                (HistoryKind::Did | HistoryKind::Last, Kept::Ring(r)) => {
                    format!("ring {}: the latest match, its newest stamp", ring_pos(r))
                }
                (HistoryKind::Count, Kept::Ring(r)) => {
                    let why = match c.pools.count_bounds.get(i).copied().flatten() {
                        Some(b) if b < crate::compile::DEFAULT_COUNT_WINDOW => {
                            format!("the comparison needs {b}")
                        }
                        _ => "no comparison bounds it: the default".into(),
                    };
                    format!("ring {}: the latest {} ({why})", ring_pos(r), stamps(r.cap))
                }
            };
            let _ = writeln!(self.out, "  kept: {kept}");
            if let Some(f) = &h.filter {
                let ctx = Ctx {
                    event: Some(h.event as u16),
                    ty: None,
                };
                self.labelled("filter:", f, 2, ctx);
            }
        }
    }

    pub(super) fn scores(&mut self) {
        let c = self.c;
        self.section("scores");
        for (si, s) in c.scores.iter().enumerate() {
            match &s.kind {
                ScoreKind::Derived(chunk) => {
                    self.plain(&format!("score {} (s{si}) = derived", s.name));
                    self.chunk(chunk, 2, Ctx::default());
                }
                ScoreKind::Rules {
                    decay,
                    when,
                    on,
                    slot,
                    when_cache,
                    updated,
                } => {
                    let kept = [
                        slot.map(|at| format!("value @{at}..{}", at + SCORE_WORDS)),
                        updated.map(|t| format!("its time {}", time_pos(t))),
                        when_cache.map(|at| format!("`when` total @{at}..{}", at + SCORE_WORDS)),
                    ];
                    let kept: Vec<String> = kept.into_iter().flatten().collect();
                    self.plain(&format!(
                        "score {} (s{si}) = rules{}{}",
                        s.name,
                        if kept.is_empty() { "" } else { ", " },
                        kept.join(", ")
                    ));
                    if let Some((keep, every)) = decay {
                        let _ = writeln!(
                            self.out,
                            "  decay: keeps {}% every {}",
                            format::number(keep * 100.0),
                            format::duration(*every)
                        );
                    }
                    for (i, w) in when.iter().enumerate() {
                        let head = format!("  when[{i}] {}", Self::effect(w.effect, w.amount));
                        self.line(&head, Some(w.span));
                        self.chunk(&w.cond, 4, Ctx::default());
                    }
                    for (i, r) in on.iter().enumerate() {
                        let mut head = format!(
                            "  on[{i}] {} {}",
                            self.event_name(r.event),
                            Self::effect(r.effect, r.amount)
                        );
                        if let Some((per, ring)) = r.cap {
                            let _ = write!(
                                head,
                                " at most {} per {}, ring {}",
                                ring.cap,
                                format::duration(per),
                                ring_pos(ring)
                            );
                        }
                        self.line(&head, Some(r.span));
                        if let Some(f) = &r.filter {
                            let ctx = Ctx {
                                event: Some(r.event),
                                ty: None,
                            };
                            self.labelled("filter:", f, 4, ctx);
                        }
                    }
                }
            }
        }
    }

    pub(super) fn lists(&mut self) {
        let c = self.c;
        self.section("lists");
        for (i, l) in c.lists.iter().enumerate() {
            let at = c.layout.lists + i as u32;
            self.plain(&format!("list {} (list{i}, {})", l.name, bit_pos(at, 1)));
            self.chunk(&l.cond, 2, Ctx::default());
        }
    }

    pub(super) fn derive_order(&mut self) {
        self.section("derive order");
        let names: Vec<String> = self
            .c
            .derive_order
            .iter()
            .map(|d| match d {
                Derived::Score(s) => format!("score {}", self.score_name(*s)),
                Derived::List(l) => format!("list {}", self.list_name(*l)),
            })
            .collect();
        let _ = writeln!(self.out, "{}", names.join(", "));
    }

    pub(super) fn triggers(&mut self) {
        let c = self.c;
        self.section("triggers");
        for (i, t) in c.triggers.iter().enumerate() {
            let (head, event) = match &t.source {
                TriggerSource::Event { event, .. } => {
                    (format!("on {}", self.event_name(*event)), Some(*event))
                }
                TriggerSource::Enter(l) => (format!("on enter {}", self.list_name(*l)), None),
                TriggerSource::Exit(l) => (format!("on exit {}", self.list_name(*l)), None),
            };
            // Numbered from 1, in source order.
            self.line(&format!("trigger {}: {head}", i + 1), Some(t.span));
            if let TriggerSource::Event {
                event,
                filter: Some(f),
            } = &t.source
            {
                let ctx = Ctx {
                    event: Some(*event),
                    ty: None,
                };
                self.labelled("filter:", f, 2, ctx);
            }
            self.label(2, "action:");
            self.wops(&t.action, 2, event);
        }
    }

    pub(super) fn workflows(&mut self) {
        let c = self.c;
        self.section("workflows");
        for (wi, w) in c.workflows.iter().enumerate() {
            let run = c.layout.run(wi as u16);
            let mut head = format!(
                "workflow {} (w{wi}), state {}, wake {}",
                w.name,
                bit_pos(run.state.at, run.state.width),
                time_pos(run.wake)
            );
            if let Some(t) = run.enrolled {
                let _ = write!(head, ", enrolled {}", time_pos(t));
            }
            if let Some(v) = run.variant {
                let _ = write!(head, ", variant {}", bit_pos(v.at, v.width));
            }
            self.line(&head, Some(w.span));
            let enroll = match w.enroll {
                Enroll::Once => "once".to_string(),
                Enroll::OncePer(d) => format!("once per {}", format::duration(d)),
                Enroll::EveryTime => "every time".to_string(),
            };
            let _ = writeln!(self.out, "  enroll {enroll}");
            if let Some(share) = w.holdout {
                let window = w.goal_window.map_or(String::new(), |d| {
                    format!(" (watched {} after enrollment)", format::duration(d))
                });
                let _ = writeln!(self.out, "  holdout {share}%{window}");
            }
            if let Some(chunk) = &w.only_if {
                self.labelled("only if:", chunk, 2, Ctx::default());
            }
            if let Some(chunk) = &w.exit_when {
                self.labelled("exit when:", chunk, 2, Ctx::default());
            }
            if let Some(chunk) = &w.goal {
                let label = match w.goal_window {
                    Some(d) => format!(
                        "goal (watched {} after the last step):",
                        format::duration(d)
                    ),
                    None => "goal:".to_string(),
                };
                self.labelled(&label, chunk, 2, Ctx::default());
            }
            self.label(2, "steps:");
            self.wops(&w.ops, 2, None);
        }
    }

    pub(super) fn policy(&mut self) {
        let c = self.c;
        let p = &c.policy;
        if p.frequency.is_empty() && p.quiet_hours.is_none() && p.suppress.is_empty() {
            return;
        }
        self.section("policy");
        for f in &p.frequency {
            let _ = writeln!(self.out, "{}, ring {}", f.rule, ring_pos(f.ring));
        }
        if let Some((from, to)) = p.quiet_hours {
            let _ = writeln!(
                self.out,
                "quiet hours {} to {} (lead's time zone)",
                format::time_of_day(from),
                format::time_of_day(to)
            );
        }
        for (i, s) in p.suppress.iter().enumerate() {
            // The rule as written, after `;`: a comment, which comparing programs leaves out.
            self.plain(&format!("suppress[{i}]:  ; {}", s.rule));
            self.chunk(&s.cond, 2, Ctx::default());
        }
    }

    pub(super) fn dispatch(&mut self) {
        let c = self.c;
        self.section("dispatch");
        let mut idle = Vec::new();
        for (e, d) in c.dispatch.iter().enumerate() {
            let name = self.event_name(e as u16);
            if d.history.is_empty()
                && d.on_rules.is_empty()
                && d.triggers.is_empty()
                && d.waits.is_empty()
            {
                idle.push(name);
                continue;
            }
            let _ = writeln!(self.out, "{name} (e{e})");
            let join = |items: Vec<String>| items.join(", ");
            if !d.history.is_empty() {
                let items = d.history.iter().map(|h| format!("h{h}")).collect();
                let _ = writeln!(self.out, "  history   {}", join(items));
            }
            if !d.on_rules.is_empty() {
                let items = d
                    .on_rules
                    .iter()
                    .map(|(s, r)| format!("{} on[{r}]", self.score_name(*s)))
                    .collect();
                let _ = writeln!(self.out, "  on rules  {}", join(items));
            }
            if !d.triggers.is_empty() {
                let items = d
                    .triggers
                    .iter()
                    .map(|t| format!("trigger {}", t + 1))
                    .collect();
                let _ = writeln!(self.out, "  triggers  {}", join(items));
            }
            if !d.waits.is_empty() {
                let items = d.waits.iter().map(|w| self.workflow_name(*w)).collect();
                let _ = writeln!(self.out, "  waits     {}", join(items));
            }
        }
        if !idle.is_empty() {
            let _ = writeln!(self.out, "nothing reacts to: {}", idle.join(", "));
        }
    }
}
