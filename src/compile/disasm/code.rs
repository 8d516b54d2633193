//! Code: a chunk's instructions and a workflow's steps, one line each, with their operands
//! and the source each came from.

use super::{Ctx, Disasm};
use crate::compile::bytecode::{Chunk, Op};
use crate::compile::program::{Data, TemplatePart, WOp};
use crate::lang::format;
use crate::lang::span::Span;
use std::fmt::Write;

impl Disasm<'_> {
    pub(super) fn chunk(&mut self, chunk: &Chunk, indent: usize, ctx: Ctx<'_>) {
        let pad = " ".repeat(indent);
        if chunk.ops.is_empty() {
            self.label(indent, "(empty)");
            return;
        }
        for (i, op) in chunk.ops.iter().enumerate() {
            let (mnemonic, operand) = self.op(chunk, i, *op, ctx);
            let text = format!("{pad}{i:>4}  {mnemonic:<16} {operand}");
            self.line(&text, chunk.spans.get(i).copied());
        }
    }

    pub(super) fn op(
        &self,
        chunk: &Chunk,
        i: usize,
        op: Op,
        ctx: Ctx<'_>,
    ) -> (&'static str, String) {
        let c = self.c;
        let jump = |d: u16| format!("-> {}", i + 1 + d as usize);
        match op {
            Op::Const(k) => {
                let enum_id = self.const_enum(chunk, i, ctx);
                let v = c.pools.consts.get(k as usize).copied();
                let shown = v.map_or_else(|| "?".into(), |v| self.val(v, enum_id));
                match self.portable {
                    true => ("const", shown),
                    false => ("const", format!("c{k} {shown}")),
                }
            }
            Op::Attr(a) => ("attr", self.attr_name(a)),
            Op::Prop(p) => {
                let name = ctx
                    .event
                    .and_then(|e| c.events.get(e as usize))
                    .and_then(|e| e.props.get(p as usize))
                    .map_or_else(|| format!("prop{p}"), |(name, _)| name.clone());
                ("prop", name)
            }
            Op::Score(s) => ("score", self.score_name(s)),
            Op::InList(l) => ("in_list", self.list_name(l)),
            Op::History(h) if self.portable => ("history", self.history_desc(h)),
            Op::History(h) => ("history", format!("h{h} {}", self.history_desc(h))),
            Op::Now => ("now", String::new()),
            Op::Received => ("received", String::new()),
            Op::Kept(k) => ("kept", self.kept_name(k)),
            Op::Not => ("not", String::new()),
            Op::Neg => ("neg", String::new()),
            Op::Add => ("add", String::new()),
            Op::Sub => ("sub", String::new()),
            Op::Mul => ("mul", String::new()),
            Op::Div => ("div", String::new()),
            Op::Eq => ("eq", String::new()),
            Op::Ne => ("ne", String::new()),
            Op::Lt => ("lt", String::new()),
            Op::Le => ("le", String::new()),
            Op::Gt => ("gt", String::new()),
            Op::Ge => ("ge", String::new()),
            Op::Contains => ("contains", String::new()),
            Op::StartsWith => ("starts_with", String::new()),
            Op::EndsWith => ("ends_with", String::new()),
            Op::Matches(r) => {
                let pattern = c.pools.regexes.get(r as usize).map_or("?", |r| r.as_str());
                match self.portable {
                    true => ("matches", format!("/{pattern}/")),
                    false => ("matches", format!("r{r} /{pattern}/")),
                }
            }
            Op::In => ("in", String::new()),
            Op::IsSet => ("is_set", String::new()),
            Op::IsMissing => ("is_missing", String::new()),
            Op::JumpIfSet(d) => ("jump_if_set", jump(d)),
            Op::JumpUnlessTrue(d) => ("jump_unless_true", jump(d)),
            Op::JumpIfTrue(d) => ("jump_if_true", jump(d)),
        }
    }

    /// `portable_listing`: each instruction as `mnemonic operand`.
    pub(super) fn portable_ops(&self, chunk: &Chunk, event: Option<u16>) -> Vec<String> {
        let ctx = Ctx { event, ty: None };
        chunk
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let (mnemonic, operand) = self.op(chunk, i, *op, ctx);
                format!("{mnemonic} {operand}").trim_end().to_string()
            })
            .collect()
    }

    /// A labelled chunk under a header line.
    pub(super) fn labelled(&mut self, label: &str, chunk: &Chunk, indent: usize, ctx: Ctx<'_>) {
        self.label(indent, label);
        self.chunk(chunk, indent + 2, ctx);
    }

    pub(super) fn wops(&mut self, ops: &[WOp], indent: usize, event: Option<u16>) {
        let pad = " ".repeat(indent);
        for (i, op) in ops.iter().enumerate() {
            let (mnemonic, operand, span) = self.wop(op);
            let text = format!("{pad}{i:>4}  {mnemonic:<16} {operand}");
            self.line(&text, span);
            let inner = indent + 8;
            let ctx = Ctx { event, ty: None };
            match op {
                WOp::Notify { message, .. } => {
                    let values = message.parts.iter().filter_map(|part| match part {
                        TemplatePart::Value(chunk, ty) => Some((chunk, ty)),
                        TemplatePart::Text(_) => None,
                    });
                    for (k, (chunk, ty)) in values.enumerate() {
                        {
                            let ctx = Ctx {
                                event,
                                ty: Some(ty),
                            };
                            self.labelled(&format!("{{{k}}}:"), chunk, inner, ctx);
                        }
                    }
                }
                WOp::Set { attr, value, .. } => {
                    let ty = self.c.attrs.get(*attr as usize).map(|a| &a.ty);
                    self.labelled("value:", value, inner, Ctx { event, ty });
                }
                WOp::WaitUpTo {
                    event: e,
                    filter: Some(f),
                    ..
                } => {
                    let ctx = Ctx {
                        event: Some(*e),
                        ty: None,
                    };
                    self.labelled("filter:", f, inner, ctx);
                }
                WOp::JumpUnless { cond, .. } => self.labelled("cond:", cond, inner, ctx),
                _ => {}
            }
            for (name, d) in op.data_fields() {
                for (label, chunk, ty) in d.labelled(name) {
                    let ctx = Ctx {
                        event,
                        ty: Some(ty),
                    };
                    self.labelled(&label, chunk, inner, ctx);
                }
            }
        }
        self.label(indent, &format!("{:>4}  end", ops.len()));
    }

    /// It stays whole: one arm per workflow instruction.
    pub(super) fn wop(&self, op: &WOp) -> (&'static str, String, Option<Span>) {
        match op {
            WOp::Send {
                channel,
                template,
                data,
                decision,
                span,
            } => (
                "send",
                match decision {
                    Some(d) => format!(
                        "{} decide({}){}",
                        channel.name(),
                        self.c.decisions.get(*d as usize).map_or("?", |d| &d.name),
                        with_fields(data)
                    ),
                    None => format!(
                        "{} {}{}",
                        channel.name(),
                        self.text(*template),
                        with_fields(data)
                    ),
                },
                Some(*span),
            ),
            WOp::Notify {
                audience,
                message,
                data,
                span,
            } => {
                let mut text = String::new();
                let mut k = 0;
                for part in &message.parts {
                    match part {
                        TemplatePart::Text(t) => text.push_str(t),
                        TemplatePart::Value(..) => {
                            let _ = write!(text, "{{{k}}}");
                            k += 1;
                        }
                    }
                }
                (
                    "notify",
                    format!("{} {text:?}{}", audience.name(), with_fields(data)),
                    Some(*span),
                )
            }
            WOp::Retarget {
                add,
                audience,
                span,
            } => (
                if *add {
                    "retarget_add"
                } else {
                    "retarget_remove"
                },
                self.text(*audience),
                Some(*span),
            ),
            WOp::Webhook {
                name,
                fields,
                data,
                span,
            } => (
                "webhook",
                format!(
                    "{} ({} fields){}",
                    self.text(*name),
                    fields.len(),
                    with_fields(data)
                ),
                Some(*span),
            ),
            WOp::Set { attr, span, .. } => ("set", self.attr_name(*attr), Some(*span)),
            WOp::Tag { tag, add, span } => (
                if *add { "tag" } else { "untag" },
                self.text(*tag),
                Some(*span),
            ),
            WOp::Start { workflow, span } => ("start", self.workflow_name(*workflow), Some(*span)),
            WOp::Stop { workflow, span } => ("stop", self.workflow_name(*workflow), Some(*span)),
            WOp::WaitFor { ms, span } => ("wait_for", format::duration(*ms), Some(*span)),
            WOp::WaitUntil {
                weekday,
                minutes,
                span,
            } => (
                "wait_until",
                format!(
                    "{}{}",
                    if *weekday { "weekday " } else { "" },
                    format::time_of_day(*minutes)
                ),
                Some(*span),
            ),
            WOp::WaitUpTo {
                timeout,
                event,
                span,
                ..
            } => (
                "wait_up_to",
                format!(
                    "{} for {}",
                    format::duration(*timeout),
                    self.event_name(*event)
                ),
                Some(*span),
            ),
            WOp::JumpUnless { target, span, .. } => {
                ("jump_unless", format!("-> {target}"), Some(*span))
            }
            WOp::Jump { target } => ("jump", format!("-> {target}"), None),
            WOp::Split { arms, end, span } => {
                let mut before = 0.0;
                let arms: Vec<String> = arms
                    .iter()
                    .map(|(cum, target, label)| {
                        let share = cum - before;
                        before = *cum;
                        format!("{label:?} {}% -> {target}", format::number(share))
                    })
                    .collect();
                let arms = format!("{}, end {end}", arms.join(", "));
                ("split", arms, Some(*span))
            }
        }
    }
}

/// ` with { items, value }`: the names of an action's data fields; empty with none.
fn with_fields(data: &[(String, Data)]) -> String {
    match data {
        [] => String::new(),
        _ => {
            let names: Vec<&str> = data.iter().map(|(n, _)| n.as_str()).collect();
            format!(" with {{ {} }}", names.join(", "))
        }
    }
}
