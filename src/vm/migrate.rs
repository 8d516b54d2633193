//! Migrating a state to a changed campaign (`--migrate`): each lead rebuilt under the new
//! layout from its old slab, read through the old one (docs/durability.md, "A changed
//! campaign").

use super::machine::Machine;
use super::ring;
use super::state::Lead;
use crate::compile::compare::enum_values;
use crate::compile::disasm::portable_listing;
use crate::compile::layout::{Aggregate, Kept, KeptBy, TimeSlot};
use crate::compile::program::{OnRule, ScoreKind};
use crate::compile::Compiled;
use crate::lang::format;
use crate::lang::value::Val;

/// `1 lead`, `2 leads`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Carries one piece of history from `from` to `into`: a counter as it is, stamps newest
/// first as many as the new place keeps (a latest-match stamp takes the newest). Both keep
/// the same unit (history's keys, or the milliseconds of caps).
fn carry_history(from: &Lead, kept: Kept, into: &mut Lead, to: Kept) {
    let mut stamps: Vec<i64> = match (kept, to) {
        (Kept::Counter(f), Kept::Counter(t)) => {
            into.set_word(t, from.word(f));
            return;
        }
        (Kept::Counter(_), _) | (_, Kept::Counter(_)) => return,
        (Kept::Ring(r), _) => ring::stamps(from, r).collect(),
        (Kept::Last(at), _) => from.time(at).into_iter().collect(),
    };
    stamps.sort_unstable_by(|a, b| b.cmp(a));
    match to {
        // Oldest first: the ring takes them in time order.
        Kept::Ring(r) => {
            for t in stamps.iter().take(r.cap as usize).rev() {
                ring::push(into, r, *t);
            }
        }
        Kept::Last(at) => into.set_time(at, stamps.first().copied()),
        Kept::Counter(_) => {}
    }
}

/// Per value of an old enum, by index: the index of the value of the same name in the new
/// enum, if it still has one.
type ByName = Vec<Option<u32>>;

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Migration {
    pub leads: u64,
    /// Open runs carried over.
    pub runs: u64,
    /// Runs that could not be placed: `lead: workflow: why`.
    pub lost: Vec<String>,
    /// Anything else that did not come along whole (held sends, history and caps that start
    /// empty, enum values that are gone).
    pub notes: Vec<String>,
}

/// Where each part of a lead's state goes, found once from the two programs and applied to
/// every lead (`carry_lead`).
struct Plan {
    /// (old attribute, new attribute, for an enum: the new index of each old value by name).
    attrs: Vec<(u16, u16, Option<ByName>)>,
    /// Accumulated points by score name (`score_places`).
    scores: Vec<ScorePlace>,
    /// List memberships by name: (old list, new list).
    lists: Vec<(u16, u16)>,
    /// History, the caps of `on` rules and frequency caps: each old place and its new one.
    kept: Vec<(Kept, Kept)>,
    /// Each old workflow, and the new one of its name if there is one.
    flows: Vec<(u16, Option<u16>)>,
}

/// A score's accumulated points: from, to, and for a score that decays now, where the time of
/// the last update was kept, if it was, and where it goes.
type ScorePlace = (u32, u32, Option<(Option<TimeSlot>, TimeSlot)>);

/// Carries the state of `old` (a machine loaded from the database under the program that
/// wrote it) into `new`, a fresh machine on the changed program: attributes and tags by name
/// (an enum's values by variant name), scores' accumulated points by name, list memberships
/// by name, history by event, filter and kind, the caps of `on` rules by score and rule,
/// frequency-cap history by rule, and open workflow runs by workflow name and step label.
/// Timers are scheduled again from the carried state.
pub fn migrate(old: &Machine, new: &mut Machine) -> Migration {
    let mut report = Migration::default();
    let (oc, counters) = (&old.c, old.counters());
    let attrs = attribute_places(oc, &new.c, &mut report.notes);
    let (scores, rule_caps) = score_places(oc, &new.c, &mut report.notes);
    let lists = (new.c.lists.iter().enumerate())
        .filter_map(|(j, l)| {
            let i = oc.lists.iter().position(|o| o.name == l.name)?;
            Some((i as u16, j as u16))
        })
        .collect();
    let mut kept = history_places(oc, &new.c, &mut report.notes);
    kept.extend(rule_caps);
    kept.extend(frequency_cap_places(oc, &new.c));
    let flows = (oc.workflows.iter().enumerate())
        .map(|(i, w)| {
            let to = new.c.workflows.iter().position(|v| v.name == w.name);
            (i as u16, to.map(|t| t as u16))
        })
        .collect();
    let held = old.timer_rows().iter().filter(|t| t.kind == 2).count() as u64;
    if held > 0 {
        report.notes.push(format!(
            "{} by quiet hours for triggers {} dropped",
            count(held, "send held", "sends held"),
            if held == 1 { "was" } else { "were" }
        ));
    }
    let plan = Plan {
        attrs,
        scores,
        lists,
        kept,
        flows,
    };
    // Per attribute of the plan, per old enum value: the leads that held a value the enum lost.
    let mut dropped: Vec<Vec<u64>> = (plan.attrs.iter())
        .map(|(_, _, by_name)| vec![0; by_name.as_ref().map_or(0, |v| v.len())])
        .collect();
    for (l, id) in old.lead_ids.iter().enumerate() {
        carry_lead(old, new, &plan, l, id, &mut dropped, &mut report);
    }
    dropped_value_notes(oc, &new.c, &plan.attrs, &dropped, &mut report.notes);
    let mut c = counters;
    c.timer_seq = c.timer_seq.max(1);
    new.restore_counters(c);
    let now = new.now;
    for l in 0..new.leads.len() as u32 {
        new.rearm(l);
        debug_assert_eq!(new.now, now);
    }
    report
}

/// The attributes carried by name: the tags aside, those of the same type, or enums with
/// their values matched by name; a note for each that changed type.
fn attribute_places(
    oc: &Compiled,
    nc: &Compiled,
    notes: &mut Vec<String>,
) -> Vec<(u16, u16, Option<ByName>)> {
    let mut attrs = Vec::new();
    for (j, a) in nc.attrs.iter().enumerate() {
        if j as u16 == nc.tags_attr {
            continue;
        }
        let Some(i) = oc.attrs.iter().position(|b| b.name == a.name) else {
            continue;
        };
        let was = &oc.attrs[i].ty;
        let values = (enum_values(oc, was), enum_values(nc, &a.ty));
        match values {
            _ if i as u16 == oc.tags_attr => {}
            (Some(x), Some(y)) if was.is_optional() == a.ty.is_optional() => {
                let by_name = x
                    .iter()
                    .map(|v| y.iter().position(|w| w == v).map(|k| k as u32))
                    .collect();
                attrs.push((i as u16, j as u16, Some(by_name)));
            }
            _ if *was == a.ty => attrs.push((i as u16, j as u16, None)),
            _ => notes.push(format!(
                "attribute {} changed type: every lead has its default",
                a.name
            )),
        }
    }
    attrs
}

/// Accumulated points by score name, and the rings of `on` rules' caps by score and rule; a
/// note for each score that decays only from now on (it kept no time of its last update
/// before: its decay starts at the migration), and one for the caps that start empty.
fn score_places(
    oc: &Compiled,
    nc: &Compiled,
    notes: &mut Vec<String>,
) -> (Vec<ScorePlace>, Vec<(Kept, Kept)>) {
    let mut scores = Vec::new();
    let mut rule_caps = Vec::new();
    let mut new_caps = 0u64;
    for s in &nc.scores {
        let ScoreKind::Rules {
            slot, updated, on, ..
        } = &s.kind
        else {
            continue;
        };
        let before = oc.scores.iter().find(|o| o.name == s.name).map(|o| &o.kind);
        let Some(ScoreKind::Rules {
            slot: was_slot,
            updated: was,
            on: was_on,
            ..
        }) = before
        else {
            new_caps += on.iter().filter(|r| r.cap.is_some()).count() as u64;
            continue;
        };
        if let (Some(to), Some(from)) = (slot, was_slot) {
            if updated.is_some() && was.is_none() {
                notes.push(format!(
                    "score {} decays from the migration on: its points kept no time before",
                    s.name
                ));
            }
            scores.push((*from, *to, updated.map(|u| (*was, u))));
        }
        new_caps += rule_cap_places(oc, was_on, nc, on, &mut rule_caps);
    }
    if new_caps > 0 {
        notes.push(format!(
            "{} new and {} empty",
            count(new_caps, "on-rule cap is", "on-rule caps are"),
            if new_caps == 1 { "starts" } else { "start" }
        ));
    }
    (scores, rule_caps)
}

/// The rings of one score's `on` rules' caps (`at most N per D`), into `out`: each from the
/// old rule on the same event through the same filter (the n-th such of the score, if
/// several are). Returns how many caps have no old ring.
fn rule_cap_places(
    oc: &Compiled,
    was_on: &[OnRule],
    nc: &Compiled,
    on: &[OnRule],
    out: &mut Vec<(Kept, Kept)>,
) -> u64 {
    let rule = |c: &Compiled, r: &OnRule| {
        (
            c.events[r.event as usize].name.clone(),
            r.filter
                .as_ref()
                .map(|f| portable_listing(c, f, Some(r.event))),
        )
    };
    let was_rules: Vec<_> = was_on.iter().map(|r| rule(oc, r)).collect();
    let rules: Vec<_> = on.iter().map(|r| rule(nc, r)).collect();
    let mut new_caps = 0;
    for (k, r) in on.iter().enumerate() {
        let Some((_, to)) = r.cap else { continue };
        let nth = rules[..k].iter().filter(|x| **x == rules[k]).count();
        let from = was_rules
            .iter()
            .enumerate()
            .filter(|(_, x)| **x == rules[k])
            .nth(nth)
            .and_then(|(o, _)| was_on[o].cap);
        match from {
            Some((_, from)) => out.push((Kept::Ring(from), Kept::Ring(to))),
            None => new_caps += 1,
        }
    }
    new_caps
}

/// History aggregates, by event name, filter and kind: filters are the same when their
/// listings are (`portable_listing`: names and values, no pool indices). A latest-match
/// stamp and a ring over the same events stand in for each other (one program may keep
/// the stamp as the ring's newest, the other its own). A note for those that start empty.
fn history_places(oc: &Compiled, nc: &Compiled, notes: &mut Vec<String>) -> Vec<(Kept, Kept)> {
    let filter = |c: &Compiled, a: &Aggregate| {
        a.filter
            .as_ref()
            .map(|f| portable_listing(c, f, Some(a.event as u16)))
    };
    let old_filters: Vec<_> = oc.layout.aggregates.iter().map(|o| filter(oc, o)).collect();
    let mut history = Vec::new();
    let mut reset = 0u64;
    for a in &nc.layout.aggregates {
        let name = &nc.events[a.event as usize].name;
        let listing = filter(nc, a);
        let of_kind = |same: fn(&Kept, &Kept) -> bool| {
            oc.layout
                .aggregates
                .iter()
                .zip(&old_filters)
                .find(|(o, f)| {
                    oc.events[o.event as usize].name == *name
                        && **f == listing
                        && same(&o.kept, &a.kept)
                })
                .map(|(o, _)| o)
        };
        let found =
            of_kind(|o, a| std::mem::discriminant(o) == std::mem::discriminant(a)).or_else(|| {
                of_kind(|o, a| {
                    matches!(
                        (o, a),
                        (Kept::Last(_), Kept::Ring(_)) | (Kept::Ring(_), Kept::Last(_))
                    )
                })
            });
        match found {
            Some(o) => history.push((o.kept, a.kept)),
            None => reset += 1,
        }
    }
    if reset > 0 {
        notes.push(format!(
            "{} new (or {} filter changed) and {} empty",
            count(reset, "history aggregate is", "history aggregates are"),
            if reset == 1 { "its" } else { "their" },
            if reset == 1 { "starts" } else { "start" }
        ));
    }
    history
}

/// Frequency-cap history, by rule: the same channel, cap and period.
fn frequency_cap_places(oc: &Compiled, nc: &Compiled) -> Vec<(Kept, Kept)> {
    let mut caps = Vec::new();
    for f in &nc.policy.frequency {
        if let Some(o) = oc
            .policy
            .frequency
            .iter()
            .find(|o| o.channel == f.channel && o.ring.cap == f.ring.cap && o.per == f.per)
        {
            caps.push((Kept::Ring(o.ring), Kept::Ring(f.ring)));
        }
    }
    caps
}

/// Carries lead `l` (`id`) of `old` into `new` by the plan: its attributes (counting in
/// `dropped` the enum values that are gone), tags, scores, lists, action count, history and
/// caps, and open runs (the runs that find no place are reported lost).
fn carry_lead(
    old: &Machine,
    new: &mut Machine,
    plan: &Plan,
    l: usize,
    id: &str,
    dropped: &mut [Vec<u64>],
    report: &mut Migration,
) {
    let oc = &old.c;
    let from = &old.leads[l];
    let mut slab = Lead::blank(&new.c);
    let lead = Lead::of_mut(&mut slab);
    for (k, (i, j, by_name)) in plan.attrs.iter().enumerate() {
        let v = match (from.attr(oc, *i), by_name) {
            (Val::Sym(s), _) => Val::Sym(new.c.pools.texts.intern(oc.pools.texts.get(s))),
            (Val::Seq(s), _) => Val::Seq(new.c.pools.texts.intern(oc.pools.texts.get(s))),
            (Val::Enum(e), Some(by_name)) => match by_name.get(e as usize) {
                Some(Some(to)) => Val::Enum(*to),
                // Gone from the enum: the lead keeps the new default (`Lead::blank`).
                _ => {
                    if let Some(n) = dropped[k].get_mut(e as usize) {
                        *n += 1;
                    }
                    continue;
                }
            },
            (v, _) => v,
        };
        lead.set_attr(&new.c, *j, v);
    }
    let mut tags = Vec::new();
    for t in old.leads.tags(l as u32) {
        let t = new.c.pools.texts.intern(oc.pools.texts.get(*t));
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let now = old.now;
    for &(f, t, timed) in &plan.scores {
        lead.set_u64(t, from.u64(f));
        match timed {
            Some((Some(was), updated)) => lead.set_time(updated, from.time(was)),
            Some((None, updated)) => lead.set_time(updated, Some(now)),
            None => {}
        }
    }
    for &(i, j) in &plan.lists {
        lead.set_in_list(&new.c, j, from.in_list(oc, i));
    }
    // The lead's ids go on from its own count, as if the campaign had not changed.
    lead.set_word(new.c.layout.sequence, from.word(oc.layout.sequence));
    for &(kept, to) in &plan.kept {
        carry_history(from, kept, lead, to);
    }
    carry_runs(old, &new.c, &plan.flows, l as u32, id, lead, report);
    carry_kept(old, new, &plan.flows, l, lead);
    new.restore_lead(id, &slab, tags);
    report.leads += 1;
}

/// Carries lead `l`'s open runs into `lead`, workflow by workflow name (`Machine::carry_run`);
/// those that find no place, or whose workflow is gone, are reported lost.
fn carry_runs(
    old: &Machine,
    nc: &Compiled,
    flows: &[(u16, Option<u16>)],
    l: u32,
    id: &str,
    lead: &mut Lead,
    report: &mut Migration,
) {
    let oc = &old.c;
    for &(w, to) in flows {
        let open = old.run_step(l, w);
        match to {
            Some(to) => match old.carry_run(l, w, nc, to, lead) {
                Ok(true) => report.runs += 1,
                Ok(false) => {}
                Err(why) => report.lost.push(format!(
                    "{}: {}: {why}",
                    format::escaped(id),
                    oc.workflows[w as usize].name
                )),
            },
            None => {
                if let Some(step) = open {
                    report.lost.push(format!(
                        "{}: {}: at step {step}, and the workflow is gone",
                        format::escaped(id),
                        oc.workflows[w as usize].name
                    ));
                }
            }
        }
    }
}

/// Carries the event properties lead `l`'s runs keep (`Layout::kept`), workflow by workflow
/// name and property by event and property name, so a run carried over still reads the event
/// that started it, or that its wait received. One no longer read is left behind.
fn carry_kept(
    old: &Machine,
    new: &mut Machine,
    flows: &[(u16, Option<u16>)],
    l: usize,
    lead: &mut Lead,
) {
    let (oc, from) = (&old.c, &old.leads[l]);
    for k in 0..new.c.layout.kept.len() {
        let slot = &new.c.layout.kept[k];
        let was = |by: KeptBy| match (by, slot.by) {
            (KeptBy::Start(w), KeptBy::Start(to)) | (KeptBy::Received(w), KeptBy::Received(to)) => {
                flows.contains(&(w, Some(to)))
            }
            _ => false,
        };
        let (event, prop) = (&new.c.events[slot.event as usize], slot.prop as usize);
        let Some(i) = oc.layout.kept.iter().position(|o| {
            let e = &oc.events[o.event as usize];
            was(o.by)
                && o.ty == slot.ty
                && e.name == event.name
                && e.props.get(o.prop as usize).map(|p| &p.0) == event.props.get(prop).map(|p| &p.0)
        }) else {
            continue;
        };
        let v = match from.kept(oc, i as u16) {
            Val::Sym(s) => Val::Sym(new.c.pools.texts.intern(oc.pools.texts.get(s))),
            Val::Seq(s) => Val::Seq(new.c.pools.texts.intern(oc.pools.texts.get(s))),
            v => v,
        };
        lead.set_kept(&new.c, k as u16, v);
    }
}

/// A note for each enum value that is gone, with how many leads had it (`dropped`, per
/// attribute of `attrs` and old value).
fn dropped_value_notes(
    oc: &Compiled,
    nc: &Compiled,
    attrs: &[(u16, u16, Option<ByName>)],
    dropped: &[Vec<u64>],
    notes: &mut Vec<String>,
) {
    for ((i, j, _), dropped) in attrs.iter().zip(dropped) {
        for (e, n) in dropped.iter().enumerate().filter(|(_, n)| **n > 0) {
            let value = enum_values(oc, &oc.attrs[*i as usize].ty)
                .and_then(|v| v.get(e))
                .map_or("?", |v| v.as_str());
            notes.push(format!(
                "attribute {}: {value} is no longer a value of its enum: {} it and {} the \
                 default now",
                nc.attrs[*j as usize].name,
                count(*n, "lead had", "leads had"),
                if *n == 1 { "has" } else { "have" }
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(text: &str) -> Compiled {
        let (diags, program) = crate::check::check_text(text);
        let program = program.unwrap_or_else(|| panic!("{diags:?}"));
        crate::compile::compile(&program).expect("compiles")
    }

    #[test]
    fn filters_compare_by_listing_across_programs() {
        let one = compiled(
            "lead { email: string? }\n\
             list a = did page.viewed where url starts_with \"/pricing\"\n",
        );
        // Another constant first: the filter's constant has another pool index.
        let two = compiled(
            "lead { email: string? }\n\
             list d = did page.viewed where url starts_with \"/docs\"\n\
             list a = did page.viewed where url starts_with \"/pricing\"\n",
        );
        let listing = |c: &Compiled, name: &str| {
            let a = c
                .layout
                .aggregates
                .iter()
                .find(|a| {
                    a.filter.as_ref().is_some_and(|f| {
                        crate::compile::disasm::portable_listing(c, f, Some(a.event as u16))
                            .join(" ")
                            .contains(name)
                    })
                })
                .expect("the aggregate");
            let f = a.filter.as_ref().expect("a filter");
            (
                crate::compile::disasm::portable_listing(c, f, Some(a.event as u16)),
                f.ops.clone(),
            )
        };
        let ((x, x_ops), (y, y_ops)) = (listing(&one, "/pricing"), listing(&two, "/pricing"));
        assert_ne!(x_ops, y_ops, "the bytecode differs in its constant's index");
        assert_eq!(x, y);
        assert_eq!(x, ["prop url", "const \"/pricing\"", "starts_with"]);
        assert_ne!(listing(&two, "/docs").0, y);
    }
}
