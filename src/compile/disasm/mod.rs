//! The disassembler: a compiled program as text a person can read and a diff can compare.
//!
//! Every instruction gets a line with its index, mnemonic and operands resolved to names
//! (`lead.email`, score `fit`, constant values, texts, event names, jump targets), and the
//! source line it came from: `; L24` always, and the trimmed text of that line the first
//! time the chunk reaches it. Sections come in a fixed order and list things by index, so
//! the same campaign always disassembles to the same text.

use super::bytecode::{Chunk, Op};
use super::file::{SourceText, FORMAT_VERSION};
use super::layout::{AttrSlot, Kept, Ring, TimeSlot};
use super::program::{Compiled, Derived, ScoreKind, TemplatePart, TriggerSource, WOp, SCORE_WORDS};
use crate::lang::format;
use crate::lang::modes::Enroll;
use crate::lang::ops::{EffectKind, HistoryKind};
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use std::fmt::Write;

/// Where the `; L…` source column starts.
const SOURCE_COLUMN: usize = 60;

/// The disassembly of a program; with its source, each instruction shows its line.
pub fn disasm(c: &Compiled, source: Option<&SourceText>) -> String {
    let mut d = Disasm {
        c,
        source,
        lines: source.map(|s| line_starts(&s.text)).unwrap_or_default(),
        out: String::new(),
        shown: None,
        const_enums: Vec::new(),
        portable: false,
    };
    d.const_enums = d.const_enums();
    d.all();
    d.out
}

/// A chunk's instructions, one line each, with every operand by name or value and no pool
/// index (`c3`, `l0`, `r1`, `h4`) and no source position: two chunks, of the same program or
/// of two programs, compute the same when their listings are equal. A history predicate
/// inside shows its own filter the same way. `event` is the event whose properties the chunk
/// reads (a `where` filter's).
pub fn portable_listing(c: &Compiled, chunk: &Chunk, event: Option<u16>) -> Vec<String> {
    let d = Disasm {
        c,
        source: None,
        lines: Vec::new(),
        out: String::new(),
        shown: None,
        const_enums: Vec::new(),
        portable: true,
    };
    d.portable_ops(chunk, event)
}

struct Disasm<'a> {
    c: &'a Compiled,
    source: Option<&'a SourceText>,
    /// Byte offset where each source line starts.
    lines: Vec<usize>,
    out: String,
    /// The source line whose text was shown last, since the last line without a span: an
    /// instruction repeats only the line number of the text just above it.
    shown: Option<usize>,
    /// Per constant, the enum its variant (or list of variants) belongs to, as seen from
    /// where it is used.
    const_enums: Vec<Option<u32>>,
    /// Operands without pool indices, filters of history predicates as listings
    /// (`portable_listing`).
    portable: bool,
}

/// What a chunk is evaluated against, for naming its operands.
#[derive(Clone, Copy, Default)]
struct Ctx<'t> {
    /// The event whose properties `prop` reads.
    event: Option<u16>,
    /// The type of the chunk's value, when known (a `set` or a template value).
    ty: Option<&'t Ty>,
}

fn stamps(n: u32) -> String {
    if n == 1 {
        "1 stamp".into()
    } else {
        format!("{n} stamps")
    }
}

/// A bit field's position: `@W.B`, bit B of word W (where it starts), or `@W.B..E` for
/// several bits (E past 32 when it runs on into the next word).
fn bit_pos(at: u32, width: u32) -> String {
    let (word, b) = (at / 32, at % 32);
    match width {
        1 => format!("@{word}.{b}"),
        _ => format!("@{word}.{b}..{}", b + width),
    }
}

/// Where a `TimeSlot` is: its bit field (`@56.0..44`).
fn time_pos(t: TimeSlot) -> String {
    bit_pos(t.bits.at, t.bits.width)
}

/// A piece of lead state in the listing: (first word, words, what) for a region of words,
/// (first bit, width, what) for a bit field.
type Region = (u32, u32, String);

/// The bit field of a `TimeSlot`, for the listing of the slab.
fn time_field(t: TimeSlot, what: String) -> Region {
    (t.bits.at, t.bits.width, what)
}

/// Bit fields as word regions: one per run of words they share, listing each field.
fn bit_regions(mut fields: Vec<Region>) -> Vec<Region> {
    fields.retain(|f| f.1 > 0);
    fields.sort_by_key(|f| f.0);
    // (first word, end word, its fields)
    let mut groups: Vec<(u32, u32, Vec<Region>)> = Vec::new();
    for f in fields {
        let (first, end) = (f.0 / 32, (f.0 + f.1).div_ceil(32));
        match groups.last_mut() {
            Some(g) if first < g.1 => {
                g.1 = g.1.max(end);
                g.2.push(f);
            }
            _ => groups.push((first, end, vec![f])),
        }
    }
    groups
        .into_iter()
        .map(|(first, end, fields)| {
            let mut what = "bit fields:".to_string();
            for (at, width, name) in fields {
                let _ = write!(what, "\n{:15}{:<12} {name}", "", bit_pos(at, width));
            }
            (first, end - first, what)
        })
        .collect()
}

/// How a ring keeps its stamps (`Ring`).
fn ring_desc(r: Ring) -> String {
    match r.cap {
        0 | 1 => format!("{} of {} bits", stamps(r.cap), r.newest),
        n => format!(
            "{}, the newest whole in {} bits, the others as {}-bit distances back from it",
            stamps(n),
            r.newest,
            r.bits
        ),
    }
}

/// Where a ring is: its bits (`@17.0..104`).
fn ring_pos(r: Ring) -> String {
    bit_pos(r.at, Ring::width(r.cap, r.bits, r.newest))
}

/// A ring as a bit field, for the listing of the slab.
fn ring_field(r: Ring, what: String) -> Region {
    (r.at, Ring::width(r.cap, r.bits, r.newest), what)
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

impl<'a> Disasm<'a> {
    fn all(&mut self) {
        let c = self.c;
        let _ = writeln!(
            self.out,
            "; nurture disassembly, file format version {FORMAT_VERSION}"
        );
        if let Some(name) = &c.campaign {
            let _ = writeln!(self.out, "; campaign {name:?}");
        }
        match self.source {
            Some(s) => {
                let _ = writeln!(self.out, "; source {}", s.name);
            }
            None => self
                .out
                .push_str("; no source kept: instructions show byte spans\n"),
        }
        self.layout();
        self.attrs();
        self.events();
        self.pools();
        self.history();
        self.scores();
        self.lists();
        self.derive_order();
        self.triggers();
        self.workflows();
        self.policy();
        self.dispatch();
    }

    fn section(&mut self, title: &str) {
        let _ = write!(self.out, "\n== {title} ==\n");
        self.shown = None;
    }

    /// Appends a line with no source of its own.
    fn plain(&mut self, text: &str) {
        self.out.push_str(text.trim_end());
        self.out.push('\n');
        self.shown = None;
    }

    /// Appends a label (`filter:`, `cond:`) that belongs to the line above.
    fn label(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{text}", " ".repeat(indent));
    }

    /// Appends a line, with the source column for `span` if there is one: the line number,
    /// and the line's text unless it was just shown.
    fn line(&mut self, text: &str, span: Option<Span>) {
        let Some(span) = span else {
            // A jump has no source; the text above still applies.
            self.out.push_str(text.trim_end());
            self.out.push('\n');
            return;
        };
        let mut line = text.trim_end().to_string();
        let n = self.line_no(span);
        let show_text = self.shown != Some(n);
        self.shown = Some(n);
        let width = line.chars().count();
        if width < SOURCE_COLUMN {
            line.push_str(&" ".repeat(SOURCE_COLUMN - width));
        } else {
            line.push_str("  ");
        }
        line.push_str(&self.where_(span, show_text));
        self.out.push_str(line.trim_end());
        self.out.push('\n');
    }

    /// `; L24  the trimmed source line`, or `; @12..34` without source.
    fn where_(&self, span: Span, show_text: bool) -> String {
        match self.source {
            None => format!("; @{}..{}", span.start, span.end),
            Some(_) => {
                let n = self.line_no(span);
                if show_text {
                    format!("; L{n}  {}", self.line_text(n))
                } else {
                    format!("; L{n}")
                }
            }
        }
    }

    /// The 1-based line a span starts on.
    fn line_no(&self, span: Span) -> usize {
        self.lines.partition_point(|&s| s <= span.start as usize)
    }

    fn line_text(&self, n: usize) -> &str {
        let Some(src) = self.source else { return "" };
        let start = self.lines.get(n.wrapping_sub(1)).copied().unwrap_or(0);
        let end = self.lines.get(n).copied().unwrap_or(src.text.len());
        src.text.get(start..end).unwrap_or("").trim()
    }

    /// The source text a span covers, on one line; None without source.
    fn snippet(&self, span: Span) -> Option<String> {
        let text = &self.source?.text;
        let s = text.get(span.start as usize..span.end as usize)?;
        Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    // ---- names ---------------------------------------------------------------------------

    fn text(&self, sym: u32) -> String {
        match (sym as usize) < self.c.pools.texts.len() {
            true => format!("{:?}", self.c.pools.texts.get(sym)),
            false => format!("t{sym}?"),
        }
    }

    fn event_name(&self, e: u16) -> String {
        self.c
            .events
            .get(e as usize)
            .map_or_else(|| format!("e{e}?"), |e| e.name.clone())
    }

    fn score_name(&self, s: u16) -> String {
        self.c
            .scores
            .get(s as usize)
            .map_or_else(|| format!("s{s}?"), |s| s.name.clone())
    }

    fn list_name(&self, l: u16) -> String {
        self.c
            .lists
            .get(l as usize)
            .map_or_else(|| format!("list{l}?"), |l| l.name.clone())
    }

    fn workflow_name(&self, w: u16) -> String {
        self.c
            .workflows
            .get(w as usize)
            .map_or_else(|| format!("w{w}?"), |w| w.name.clone())
    }

    fn attr_name(&self, a: u16) -> String {
        self.c
            .attrs
            .get(a as usize)
            .map_or_else(|| format!("lead.a{a}?"), |a| format!("lead.{}", a.name))
    }

    fn ty(&self, ty: &Ty) -> String {
        match ty {
            Ty::Enum(e) => format!("enum{e}"),
            Ty::List(t) => format!("list<{}>", self.ty(t)),
            Ty::Optional(t) => format!("{}?", self.ty(t)),
            t => t.describe(&[]),
        }
    }

    /// A value as source would write it; `enum_id` names enum variants.
    fn val(&self, v: Val, enum_id: Option<u32>) -> String {
        match v {
            Val::Missing => "missing".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Num(n) => format!("{n:?}"),
            Val::Sym(s) => self.text(s),
            Val::PropText(i) => format!("prop-text{i}"),
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
    fn enum_of(ty: &Ty) -> Option<u32> {
        match ty {
            Ty::Enum(e) => Some(*e),
            Ty::Optional(t) | Ty::List(t) => Self::enum_of(t),
            _ => None,
        }
    }

    /// The enum of an instruction's value, for a constant next to it (`lead.stage != customer`).
    fn enum_near(&self, op: Option<&Op>, ctx: Ctx<'_>) -> Option<u32> {
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
    fn const_enum(&self, chunk: &Chunk, i: usize, ctx: Ctx<'_>) -> Option<u32> {
        let before = i.checked_sub(1).and_then(|j| chunk.ops.get(j));
        ctx.ty
            .and_then(Self::enum_of)
            .or_else(|| self.enum_near(before, ctx))
            .or_else(|| self.enum_near(chunk.ops.get(i + 1), ctx))
    }

    /// For each constant, the enum it belongs to, from the first place it is used as one.
    fn const_enums(&self) -> Vec<Option<u32>> {
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
        for l in &c.lists {
            visit(&l.cond, Ctx::default());
        }
        for chunk in c.policy.suppress.iter().map(|s| &s.cond) {
            visit(chunk, Ctx::default());
        }
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
                    WOp::Webhook { fields, .. } => {
                        for (_, chunk, ty) in fields {
                            visit(chunk, typed(ty));
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
            }
        }
        out
    }

    fn history_desc(&self, h: u16) -> String {
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

    fn effect(kind: EffectKind, amount: f64) -> String {
        let verb = match kind {
            EffectKind::Add => "add",
            EffectKind::Subtract => "subtract",
            EffectKind::Set => "set",
        };
        format!("{verb} {amount}")
    }

    // ---- chunks --------------------------------------------------------------------------

    fn chunk(&mut self, chunk: &Chunk, indent: usize, ctx: Ctx<'_>) {
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

    fn op(&self, chunk: &Chunk, i: usize, op: Op, ctx: Ctx<'_>) -> (&'static str, String) {
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
    fn portable_ops(&self, chunk: &Chunk, event: Option<u16>) -> Vec<String> {
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
    fn labelled(&mut self, label: &str, chunk: &Chunk, indent: usize, ctx: Ctx<'_>) {
        self.label(indent, label);
        self.chunk(chunk, indent + 2, ctx);
    }

    fn wops(&mut self, ops: &[WOp], indent: usize, event: Option<u16>) {
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
                WOp::Webhook { fields, .. } => {
                    for (name, chunk, ty) in fields {
                        let ctx = Ctx {
                            event,
                            ty: Some(ty),
                        };
                        self.labelled(&format!("{name}:"), chunk, inner, ctx);
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
        }
        self.label(indent, &format!("{:>4}  end", ops.len()));
    }

    /// It stays whole: one arm per workflow instruction.
    fn wop(&self, op: &WOp) -> (&'static str, String, Option<Span>) {
        match op {
            WOp::Send {
                channel,
                template,
                span,
            } => (
                "send",
                format!("{} {}", channel.name(), self.text(*template)),
                Some(*span),
            ),
            WOp::Notify {
                audience,
                message,
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
                    format!("{} {text:?}", audience.name()),
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
            WOp::Webhook { name, fields, span } => (
                "webhook",
                format!("{} ({} fields)", self.text(*name), fields.len()),
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

    // ---- sections ------------------------------------------------------------------------

    /// It stays whole: one section per region of the slab, in slab order.
    fn layout(&mut self) {
        let c = self.c;
        let l = &c.layout;
        self.section("lead state");
        let _ = writeln!(
            self.out,
            "slab: {} words, {} bytes a lead (tags are kept beside it)",
            l.size,
            l.size as u64 * 4
        );
        let n_attrs = c.attrs.len() as u32;
        // Word regions, and bit fields (first bit, width), listed under the words they share.
        let mut regions: Vec<Region> = Vec::new();
        let mut fields: Vec<Region> = Vec::new();
        for (i, a) in c.attrs.iter().enumerate() {
            let what = format!("a{i} {}", a.name);
            match l.attrs[i] {
                _ if i as u16 == c.tags_attr => {}
                AttrSlot::Words(at) => {
                    let words = if crate::lang::types::wide(&a.ty) {
                        2
                    } else {
                        1
                    };
                    regions.push((at, words, what));
                }
                AttrSlot::Bits(f) => fields.push((f.at, f.width, what)),
            }
        }
        fields.push((
            l.missing,
            n_attrs,
            "missing-attribute bits, the i-th for attribute a<i>".into(),
        ));
        for s in &c.scores {
            if let ScoreKind::Rules {
                decay,
                on,
                slot,
                when_cache,
                updated,
                ..
            } = &s.kind
            {
                if let Some(at) = slot {
                    let what = format!("score {}: value (f64)", s.name);
                    regions.push((*at, SCORE_WORDS, what));
                }
                if let (Some(t), Some((keep, every))) = (updated, decay) {
                    let what = format!(
                        "score {}: the time of its last update (it keeps {}% every {})",
                        s.name,
                        format::number(keep * 100.0),
                        format::duration(*every)
                    );
                    fields.push(time_field(*t, what));
                }
                if let Some(at) = when_cache {
                    regions.push((
                        *at,
                        SCORE_WORDS,
                        format!("score {}: `when` total (f64)", s.name),
                    ));
                }
                for (i, r) in on.iter().enumerate() {
                    if let Some((per, ring)) = r.cap {
                        fields.push(ring_field(
                            ring,
                            format!(
                                "score {} on[{i}] cap (at most {} per {}): {}",
                                s.name,
                                ring.cap,
                                format::duration(per),
                                ring_desc(ring)
                            ),
                        ));
                    }
                }
            }
        }
        for f in &c.policy.frequency {
            let (r, what) = (f.ring, ring_desc(f.ring));
            fields.push(ring_field(r, format!("{}: {what}", f.rule)));
        }
        for a in &l.aggregates {
            let event = &c.events[a.event as usize].name;
            let users: Vec<String> = l
                .history
                .iter()
                .enumerate()
                .filter(|(_, k)| **k == a.kept)
                .map(|(h, _)| format!("h{h}"))
                .collect();
            let users = users.join(" ");
            match a.kept {
                Kept::Counter(at) => regions.push((at, 1, format!("{event}: counter ({users})"))),
                Kept::Last(t) => fields.push(time_field(
                    t,
                    format!("{event}: key of the latest match ({users})"),
                )),
                Kept::Ring(r) => fields.push(ring_field(
                    r,
                    format!("{event}: {} ({users})", ring_desc(r)),
                )),
            }
        }
        fields.push((
            l.lists,
            c.lists.len() as u32,
            "list membership, the i-th for list i".into(),
        ));
        for (w, wf) in c.workflows.iter().enumerate() {
            let run = l.run(w as u16);
            fields.push((
                run.state.at,
                run.state.width,
                format!("workflow {} run state: pc, status, `received`", wf.name),
            ));
            if let Some(v) = run.variant {
                let what = format!("workflow {} run variant: the last split passed", wf.name);
                fields.push((v.at, v.width, what));
            }
            fields.push(time_field(
                run.wake,
                format!("workflow {} run: wake", wf.name),
            ));
            if let Some(t) = run.enrolled {
                fields.push(time_field(
                    t,
                    format!(
                        "workflow {} run: key of the enrollment (also the last)",
                        wf.name
                    ),
                ));
            }
        }
        fields.push(time_field(
            l.recheck,
            "recheck: when lists may next change with no event".into(),
        ));
        fields.push(time_field(
            l.decay_due,
            "when decaying scores next flip a list, as last computed".into(),
        ));
        regions.push((
            l.sequence,
            1,
            "the lead's action count (each action's id hashes its number)".into(),
        ));
        regions.extend(bit_regions(fields));
        regions.retain(|r| r.1 > 0);
        regions.sort_by_key(|r| (r.0, r.1));
        let mut next = 0;
        for (at, words, what) in regions {
            if at > next {
                let _ = writeln!(self.out, "{next:>5}..{at:<5} unused");
            }
            let _ = writeln!(self.out, "{at:>5}..{:<5} {what}", at + words);
            next = next.max(at + words);
        }
        if next < l.size {
            let _ = writeln!(self.out, "{next:>5}..{:<5} unused", l.size);
        }
    }

    fn attrs(&mut self) {
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

    fn events(&mut self) {
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

    fn pools(&mut self) {
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

    fn history(&mut self) {
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

    fn scores(&mut self) {
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

    fn lists(&mut self) {
        let c = self.c;
        self.section("lists");
        for (i, l) in c.lists.iter().enumerate() {
            let at = c.layout.lists + i as u32;
            self.plain(&format!("list {} (list{i}, {})", l.name, bit_pos(at, 1)));
            self.chunk(&l.cond, 2, Ctx::default());
        }
    }

    fn derive_order(&mut self) {
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

    fn triggers(&mut self) {
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

    fn workflows(&mut self) {
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

    fn policy(&mut self) {
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

    fn dispatch(&mut self) {
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
