//! Lowers checked expressions to bytecode chunks, filling the constant, text, list, regex and
//! history pools they refer to.

use super::bytecode::{Chunk, Op};
use crate::check::program::{EventId, Expr, ExprKind};
use crate::lang::ops::{BinOp, HistoryKind};
use crate::lang::span::Span;
use crate::lang::types::Value;
use crate::lang::value::Val;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Interned texts: each distinct text gets one small number.
#[derive(Debug, Clone, Default)]
pub struct Texts(crate::intern::Interner);

impl Texts {
    pub fn intern(&mut self, text: &str) -> u32 {
        self.0.intern(text).0
    }

    pub fn get(&self, sym: u32) -> &str {
        &self.0[sym as usize]
    }

    /// The symbol of a text already interned, without adding it.
    pub fn lookup(&self, text: &str) -> Option<u32> {
        self.0.get(text)
    }

    /// How many texts there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every interned text, in symbol order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter()
    }
}

/// One history predicate the lead state must keep an aggregate for. Predicates that read the
/// same events the same way share one slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPredicate {
    pub kind: HistoryKind,
    pub event: EventId,
    pub filter: Option<Chunk>,
    /// Milliseconds.
    pub within: Option<i64>,
    pub since_enrolled: bool,
}

/// Everything chunks refer to by index.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Pools {
    pub consts: Vec<Val>,
    /// Rebuilds its index when loaded.
    pub texts: Texts,
    pub lists: Vec<Vec<Val>>,
    /// Stored as patterns; compiled again, within the checker's size limit, when loaded.
    #[serde(with = "crate::compile::file::remote::regexes")]
    pub regexes: Vec<regex::Regex>,
    pub history: Vec<HistoryPredicate>,
    /// Per history predicate: how many recent events a windowed `count` must remember, when
    /// a comparison with a constant bounds it (`count … within 30d >= 3` needs 3).
    pub count_bounds: Vec<Option<u32>>,
    /// While lowering the left side of `count … >= K`: the stamps that use needs.
    #[serde(skip)]
    bounding: Option<u32>,
    /// Constants by their debug text (values hold floats, so they do not hash themselves):
    /// keeps deduplication linear in the program's size.
    #[serde(skip)]
    const_index: HashMap<String, u32>,
    /// How many of `consts` are in `const_index`.
    #[serde(skip)]
    indexed: usize,
}

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq)]
pub enum CompileError {
    /// The construct has no meaning in a compiled condition (test-only syntax, or text
    /// building that belongs to actions); the span says where.
    NotCompilable(Span, &'static str),
}

impl CompileError {
    /// The error as a diagnostic on the campaign's source. The checker refuses everything
    /// the compiler cannot lower (E0312), so this is a checker gap when it shows.
    pub fn diagnostic(&self) -> crate::diag::Diagnostic {
        match self {
            CompileError::NotCompilable(span, what) => crate::diag::Diagnostic::new(
                crate::diag::Code::Misplaced,
                *span,
                format!("{what} cannot be compiled here"),
            )
            .with_label("here")
            .with_help(
                "nurture check accepted this, which it should not: please report it, with the \
                 campaign",
            ),
        }
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::NotCompilable(_, what) => write!(f, "cannot compile {what}"),
        }
    }
}

impl std::error::Error for CompileError {}

impl Pools {
    pub fn val(&mut self, v: &Value) -> Val {
        match v {
            Value::Missing => Val::Missing,
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Int(*i),
            Value::Number(n) => Val::Num(*n),
            Value::Str(s) => Val::Sym(self.texts.intern(s)),
            Value::Duration(d) => Val::Dur(*d),
            Value::Time(t) => Val::Time(*t),
            Value::TimeOfDay(m) => Val::Tod(*m),
            Value::Enum(_, v) => Val::Enum(*v),
            Value::List(items) => {
                let items = items.iter().map(|i| self.val(i)).collect();
                self.lists.push(items);
                Val::List(self.lists.len() as u32 - 1)
            }
        }
    }

    fn constant(&mut self, v: Val) -> u32 {
        // A loaded program arrives without the index: index what is not indexed yet.
        while self.indexed < self.consts.len() {
            let c = self.consts[self.indexed];
            self.const_index
                .entry(format!("{c:?}"))
                .or_insert(self.indexed as u32);
            self.indexed += 1;
        }
        let key = format!("{v:?}");
        if let Some(&i) = self.const_index.get(&key) {
            return i;
        }
        self.consts.push(v);
        let i = self.consts.len() as u32 - 1;
        self.const_index.insert(key, i);
        self.indexed = self.consts.len();
        i
    }

    fn regex(&mut self, pattern: &str) -> u16 {
        if let Some(i) = self.regexes.iter().position(|r| r.as_str() == pattern) {
            return i as u16;
        }
        // The checker has already compiled it within the same size limit.
        let re = regex::RegexBuilder::new(pattern)
            .size_limit(crate::check::REGEX_SIZE_LIMIT)
            .build()
            .expect("the checker validated this regex");
        self.regexes.push(re);
        self.regexes.len() as u16 - 1
    }

    fn history(&mut self, p: HistoryPredicate) -> u16 {
        if let Some(i) = self.history.iter().position(|h| *h == p) {
            return i as u16;
        }
        self.history.push(p);
        self.count_bounds.push(None);
        self.history.len() as u16 - 1
    }

    /// A windowed count read from a ring of N stamps is the true count capped at N, so
    /// `count E within D >= K` (or `< K`) only needs the K most recent events, and `> K`,
    /// `<= K`, `== K`, `!= K` need K+1 to tell K from more. Any other use of a windowed count
    /// (in a message, in arithmetic, on the right of a comparison) may need them all, up to
    /// the default window. A ring keeps at least one stamp.
    fn comparison_bound(op: BinOp, lhs: &Expr, rhs: &Expr) -> Option<u32> {
        match (&lhs.kind, &rhs.kind) {
            (ExprKind::History(h), ExprKind::Const(Value::Int(k)))
                if h.kind == HistoryKind::Count && op.is_comparison() && (0..4096).contains(k) =>
            {
                let k = *k as u32;
                Some(match op {
                    BinOp::Ge | BinOp::Lt => k.max(1),
                    _ => k + 1,
                })
            }
            _ => None,
        }
    }

    /// Compiles one expression to a chunk of its own.
    pub fn compile(&mut self, e: &Expr) -> Result<Chunk, CompileError> {
        let mut chunk = Chunk::default();
        self.lower(e, &mut chunk)?;
        Ok(chunk)
    }

    /// It stays whole: one arm per kind of expression.
    fn lower(&mut self, e: &Expr, c: &mut Chunk) -> Result<(), CompileError> {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(v) => {
                let v = self.val(v);
                let i = self.constant(v);
                c.push(Op::Const(i), span);
            }
            ExprKind::List(items) => {
                // Lists of non-constants: only constant lists reach the VM today.
                let mut vals = Vec::new();
                for i in items {
                    match &i.kind {
                        ExprKind::Const(v) => vals.push(self.val(v)),
                        _ => {
                            return Err(CompileError::NotCompilable(
                                i.span,
                                "a list of computed values",
                            ))
                        }
                    }
                }
                self.lists.push(vals);
                let i = self.constant(Val::List(self.lists.len() as u32 - 1));
                c.push(Op::Const(i), span);
            }
            ExprKind::Attr(a) => {
                c.push(Op::Attr(*a as u16), span);
            }
            ExprKind::Prop(p) => {
                c.push(Op::Prop(*p as u16), span);
            }
            ExprKind::Score(s) => {
                c.push(Op::Score(*s as u16), span);
            }
            ExprKind::InList(l) => {
                c.push(Op::InList(*l as u16), span);
            }
            ExprKind::Now => {
                c.push(Op::Now, span);
            }
            ExprKind::Received => {
                c.push(Op::Received, span);
            }
            ExprKind::Kept(k) => {
                c.push(Op::Kept(*k as u16), span);
            }
            ExprKind::Not(x) => {
                self.lower(x, c)?;
                c.push(Op::Not, span);
            }
            ExprKind::Neg(x) => {
                self.lower(x, c)?;
                c.push(Op::Neg, span);
            }
            ExprKind::Is { expr, set } => {
                self.lower(expr, c)?;
                c.push(if *set { Op::IsSet } else { Op::IsMissing }, span);
            }
            ExprKind::Matches { expr, regex } => {
                self.lower(expr, c)?;
                let r = self.regex(regex);
                c.push(Op::Matches(r), span);
            }
            ExprKind::In { expr, negated, set } => {
                self.lower(expr, c)?;
                self.lower(set, c)?;
                c.push(Op::In, span);
                if *negated {
                    c.push(Op::Not, span);
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.bounding = Self::comparison_bound(*op, lhs, rhs);
                self.lower(lhs, c)?;
                self.bounding = None;
                let jump = match op {
                    BinOp::And => Some(c.push(Op::JumpUnlessTrue(0), span)),
                    BinOp::Or => Some(c.push(Op::JumpIfTrue(0), span)),
                    BinOp::Coalesce => Some(c.push(Op::JumpIfSet(0), span)),
                    _ => None,
                };
                self.lower(rhs, c)?;
                match jump {
                    Some(at) => c.patch_jump(at),
                    None => {
                        let op = match op {
                            BinOp::Eq => Op::Eq,
                            BinOp::Ne => Op::Ne,
                            BinOp::Lt => Op::Lt,
                            BinOp::Le => Op::Le,
                            BinOp::Gt => Op::Gt,
                            BinOp::Ge => Op::Ge,
                            BinOp::Contains => Op::Contains,
                            BinOp::StartsWith => Op::StartsWith,
                            BinOp::EndsWith => Op::EndsWith,
                            BinOp::Add => Op::Add,
                            BinOp::Sub => Op::Sub,
                            BinOp::Mul => Op::Mul,
                            BinOp::Div => Op::Div,
                            BinOp::And | BinOp::Or | BinOp::Coalesce => {
                                unreachable!("handled above")
                            }
                        };
                        c.push(op, span);
                    }
                }
            }
            ExprKind::History(h) => {
                // Taken before the filter is compiled: its own comparisons reset it.
                let need = self
                    .bounding
                    .take()
                    .unwrap_or(crate::compile::DEFAULT_COUNT_WINDOW);
                let filter = match &h.filter {
                    Some(f) => Some(self.compile(f)?),
                    None => None,
                };
                let slot = self.history(HistoryPredicate {
                    kind: h.kind,
                    event: h.event,
                    filter,
                    within: h.within.map(crate::lang::time::from_seconds),
                    since_enrolled: h.since_enrolled,
                });
                if h.kind == HistoryKind::Count {
                    let bound = &mut self.count_bounds[slot as usize];
                    *bound = Some(bound.map_or(need, |b| b.max(need)));
                }
                c.push(Op::History(slot), span);
            }
            ExprKind::Template(_) => {
                return Err(CompileError::NotCompilable(
                    span,
                    "text with `{…}` inside a condition",
                ));
            }
            ExprKind::Of { .. } | ExprKind::LeadInList { .. } => {
                return Err(CompileError::NotCompilable(span, "test syntax"));
            }
        }
        Ok(())
    }
}
