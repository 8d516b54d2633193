//! Operands by name: events, scores, lists, workflows and attributes by their names, values
//! as source would write them (enum variants by the enum a constant is compared with), and
//! history predicates as written.

use super::{Ctx, Disasm};
use crate::compile::bytecode::{Chunk, Op};
use crate::compile::program::{ScoreKind, TemplatePart, TriggerSource, WOp};
use crate::lang::format;
use crate::lang::ops::{EffectKind, HistoryKind};
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use std::fmt::Write;

impl Disasm<'_> {
    pub(super) fn text(&self, sym: u32) -> String {
        match (sym as usize) < self.c.pools.texts.len() {
            true => format!("{:?}", self.c.pools.texts.get(sym)),
            false => format!("t{sym}?"),
        }
    }

    pub(super) fn event_name(&self, e: u16) -> String {
        self.c
            .events
            .get(e as usize)
            .map_or_else(|| format!("e{e}?"), |e| e.name.clone())
    }

    pub(super) fn score_name(&self, s: u16) -> String {
        self.c
            .scores
            .get(s as usize)
            .map_or_else(|| format!("s{s}?"), |s| s.name.clone())
    }

    pub(super) fn list_name(&self, l: u16) -> String {
        self.c
            .lists
            .get(l as usize)
            .map_or_else(|| format!("list{l}?"), |l| l.name.clone())
    }

    pub(super) fn workflow_name(&self, w: u16) -> String {
        self.c
            .workflows
            .get(w as usize)
            .map_or_else(|| format!("w{w}?"), |w| w.name.clone())
    }

    pub(super) fn attr_name(&self, a: u16) -> String {
        self.c
            .attrs
            .get(a as usize)
            .map_or_else(|| format!("lead.a{a}?"), |a| format!("lead.{}", a.name))
    }

    /// A kept event property: whose, and which (`regions::Piece::Kept`).
    pub(super) fn kept_name(&self, k: u16) -> String {
        match self.c.layout.kept.get(k as usize) {
            Some(_) => crate::compile::regions::Piece::Kept(k as usize).owner(self.c),
            None => format!("k{k}?"),
        }
    }

    pub(super) fn ty(&self, ty: &Ty) -> String {
        match ty {
            Ty::Enum(e) => format!("enum{e}"),
            Ty::List(t) => format!("list<{}>", self.ty(t)),
            Ty::Optional(t) => format!("{}?", self.ty(t)),
            t => t.describe(&[]),
        }
    }

    /// A value as source would write it; `enum_id` names enum variants.
    pub(super) fn val(&self, v: Val, enum_id: Option<u32>) -> String {
        match v {
            Val::Missing => "missing".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Num(n) => format!("{n:?}"),
            Val::Sym(s) => self.text(s),
            Val::PropText(i) => format!("prop-text{i}"),
            Val::PropSeq(i) => format!("prop-list{i}"),
            Val::Seq(s) => format!("list {}", self.text(s)),
            Val::Time(t) => format::instant(t),
            Val::Dur(d) => format::duration(d),
            Val::Tod(m) => format::time_of_day(m),
            Val::Enum(i) => enum_id
                .and_then(|e| self.c.enums.get(e as usize)?.get(i as usize))
                .cloned()
                .unwrap_or_else(|| format!("variant{i}")),
            Val::List(l) => {
                let items = self.c.pools.lists.get(l as usize).map_or_else(
                    || "?".into(),
                    |items| {
                        items
                            .iter()
                            .map(|i| self.val(*i, enum_id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                );
                match self.portable {
                    true => format!("[{items}]"),
                    false => format!("l{l} [{items}]"),
                }
            }
        }
    }

    /// The enum a type holds, through `?` and `list<…>`.
    pub(super) fn enum_of(ty: &Ty) -> Option<u32> {
        match ty {
            Ty::Enum(e) => Some(*e),
            Ty::Optional(t) | Ty::List(t) => Self::enum_of(t),
            _ => None,
        }
    }

    /// The enum of an instruction's value, for a constant next to it (`lead.stage != customer`).
    pub(super) fn enum_near(&self, op: Option<&Op>, ctx: Ctx<'_>) -> Option<u32> {
        let ty = match op? {
            Op::Attr(a) => &self.c.attrs.get(*a as usize)?.ty,
            Op::Prop(p) => {
                let e = self.c.events.get(ctx.event? as usize)?;
                &e.props.get(*p as usize)?.1
            }
            _ => return None,
        };
        Self::enum_of(ty)
    }

    /// The enum of the constant at `i`, from the chunk's type or the attribute or property
    /// it is compared with.
    pub(super) fn const_enum(&self, chunk: &Chunk, i: usize, ctx: Ctx<'_>) -> Option<u32> {
        let before = i.checked_sub(1).and_then(|j| chunk.ops.get(j));
        ctx.ty
            .and_then(Self::enum_of)
            .or_else(|| self.enum_near(before, ctx))
            .or_else(|| self.enum_near(chunk.ops.get(i + 1), ctx))
    }

    /// For each constant, the enum it belongs to, from the first place it is used as one.
    /// It stays whole: one visit per kind of place a program keeps code.
    pub(super) fn const_enums(&self) -> Vec<Option<u32>> {
        let c = self.c;
        let mut out = vec![None; c.pools.consts.len()];
        let mut visit = |chunk: &Chunk, ctx: Ctx<'_>| {
            for (i, op) in chunk.ops.iter().enumerate() {
                if let Op::Const(k) = op {
                    if let Some(slot) = out.get_mut(*k as usize) {
                        *slot = slot.or(self.const_enum(chunk, i, ctx));
                    }
                }
            }
        };
        let on = |event: u16| Ctx {
            event: Some(event),
            ty: None,
        };
        for h in &c.pools.history {
            if let Some(f) = &h.filter {
                visit(f, on(h.event as u16));
            }
        }
        for s in &c.scores {
            match &s.kind {
                ScoreKind::Derived(chunk) => visit(chunk, Ctx::default()),
                ScoreKind::Rules {
                    when, on: rules, ..
                } => {
                    for w in when {
                        visit(&w.cond, Ctx::default());
                    }
                    for r in rules {
                        if let Some(f) = &r.filter {
                            visit(f, on(r.event));
                        }
                    }
                }
            }
        }
        let plain = (c.lists.iter().map(|l| &l.cond))
            .chain(c.policy.suppress.iter().map(|s| &s.cond))
            .chain(
                c.decisions
                    .iter()
                    .flat_map(|d| d.rows.iter().map(|r| &r.cond)),
            );
        plain.for_each(|chunk| visit(chunk, Ctx::default()));
        let mut ops: Vec<(&[WOp], Option<u16>)> = Vec::new();
        for t in &c.triggers {
            let event = match &t.source {
                TriggerSource::Event { event, filter } => {
                    if let Some(f) = filter {
                        visit(f, on(*event));
                    }
                    Some(*event)
                }
                _ => None,
            };
            ops.push((&t.action, event));
        }
        for w in &c.workflows {
            for chunk in [&w.only_if, &w.exit_when, &w.goal].into_iter().flatten() {
                visit(chunk, Ctx::default());
            }
            ops.push((&w.ops, None));
        }
        for (ops, event) in ops {
            for op in ops {
                let ctx = Ctx { event, ty: None };
                let typed = |ty| Ctx {
                    ty: Some(ty),
                    ..ctx
                };
                match op {
                    WOp::Notify { message, .. } => {
                        for part in &message.parts {
                            if let TemplatePart::Value(chunk, ty) = part {
                                visit(chunk, typed(ty));
                            }
                        }
                    }
                    WOp::Set { attr, value, .. } => {
                        let ty = c.attrs.get(*attr as usize).map(|a| &a.ty);
                        visit(value, Ctx { event, ty });
                    }
                    WOp::WaitUpTo {
                        event: e,
                        filter: Some(f),
                        ..
                    } => visit(f, on(*e)),
                    WOp::JumpUnless { cond, .. } => visit(cond, ctx),
                    _ => {}
                }
                for (name, d) in op.data_fields() {
                    for (_, chunk, ty) in d.labelled(name) {
                        visit(chunk, typed(ty));
                    }
                }
            }
        }
        out
    }

    pub(super) fn history_desc(&self, h: u16) -> String {
        let Some(p) = self.c.pools.history.get(h as usize) else {
            return format!("h{h}?");
        };
        let mut s = format!(
            "{} {}",
            match p.kind {
                HistoryKind::Did => "did",
                HistoryKind::Count => "count",
                HistoryKind::Last => "last",
            },
            self.event_name(p.event as u16)
        );
        if let Some(f) = &p.filter {
            let span = f.spans.iter().copied().reduce(Span::to);
            if self.portable {
                let ops = self.portable_ops(f, Some(p.event as u16));
                let _ = write!(s, " where [{}]", ops.join("; "));
            } else {
                match span.and_then(|s| self.snippet(s)) {
                    Some(text) => {
                        let _ = write!(s, " where {text}");
                    }
                    None => s.push_str(" where …"),
                }
            }
        }
        if let Some(w) = p.within {
            let _ = write!(s, " within {}", format::duration(w));
        }
        if p.since_enrolled {
            s.push_str(" since enrolled");
        }
        s
    }

    pub(super) fn effect(kind: EffectKind, amount: f64) -> String {
        let verb = match kind {
            EffectKind::Add => "add",
            EffectKind::Subtract => "subtract",
            EffectKind::Set => "set",
        };
        format!("{verb} {amount}")
    }
}
