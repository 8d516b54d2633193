//! Expressions: each kind typed where it stands (its `Scope`), conditions, `where` filters
//! and history predicates.

use super::{Checker, Scope, REGEX_SIZE_LIMIT};
use crate::check::program::*;
use crate::check::suggest;
use crate::diag::Code;
use crate::lang::ops::HistoryKind;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast::{self, ExprKind as A};
use std::collections::HashMap;

impl Checker<'_> {
    /// An expression that must be true or false.
    pub(super) fn cond(&mut self, e: &ast::Expr, scope: Scope<'_>) -> Expr {
        let x = self.expr(e, scope, Some(&Ty::Bool));
        if !matches!(x.ty.base(), Ty::Bool | Ty::Error) {
            let g = self.describe_a(&x.ty);
            let help = match x.ty.base() {
                Ty::Int | Ty::Number => "compare it with a number, as in `total >= 60`",
                Ty::Str => "compare it with a text, as in `lead.country == \"US\"`",
                _ => "write a condition, such as a comparison or `did EVENT`",
            };
            self.error(
                Code::NotACondition,
                e.span,
                format!("expected a condition (true or false), found {g}"),
            )
            .with_label(format!("this is {g}"))
            .with_help(help);
        }
        x
    }

    /// It stays whole: one arm per kind of expression.
    pub(super) fn expr(&mut self, e: &ast::Expr, scope: Scope<'_>, expect: Option<&Ty>) -> Expr {
        let span = e.span;
        let typed = |kind: ExprKind, ty: Ty| Expr { kind, ty, span };
        match &e.kind {
            A::Bool(b) => typed(ExprKind::Const(Value::Bool(*b)), Ty::Bool),
            A::Int(i) => typed(ExprKind::Const(Value::Int(*i)), Ty::Int),
            A::Number(n) => typed(ExprKind::Const(Value::Number(*n)), Ty::Number),
            A::Percent(p) => typed(ExprKind::Const(Value::Number(p / 100.0)), Ty::Number),
            A::Duration(d) => typed(
                ExprKind::Const(Value::Duration(crate::lang::time::from_seconds(*d))),
                Ty::Duration,
            ),
            A::TimeOfDay(m) => typed(ExprKind::Const(Value::TimeOfDay(*m)), Ty::TimeOfDay),
            A::Instant(t) => typed(ExprKind::Const(Value::Time(*t)), Ty::Time),
            A::Str(s) => {
                let t = self.template(s, scope);
                match t.as_plain() {
                    Some(text) => typed(ExprKind::Const(Value::Str(text.to_string())), Ty::Str),
                    None => {
                        // Only messages are built from text with values in it; the VM has
                        // no instruction to build text inside a condition or a value.
                        self.error(
                            Code::Misplaced,
                            span,
                            "text with `{…}` in it can only be a `notify` message",
                        )
                        .with_label("built text")
                        .with_help(
                            "compare or store the value itself, or write `{{` for a literal brace",
                        );
                        typed(ExprKind::Template(t), Ty::Error)
                    }
                }
            }
            A::List(items) => {
                let want = expect.and_then(|t| match t.base() {
                    Ty::List(e) => Some((**e).clone()),
                    _ => None,
                });
                let xs: Vec<Expr> = items
                    .iter()
                    .map(|i| self.expr(i, scope, want.as_ref()))
                    .collect();
                let elem = xs
                    .iter()
                    .map(|x| x.ty.base().clone())
                    .find(|t| !t.is_error())
                    .unwrap_or(Ty::Error);
                for x in &xs {
                    if !(x.ty.fits(&elem) || elem == Ty::Int && x.ty.base() == &Ty::Number) {
                        self.mismatch(x.span, &elem, x);
                    }
                }
                let all_const = xs.iter().all(|x| matches!(x.kind, ExprKind::Const(_)));
                let ty = Ty::List(Box::new(elem));
                if all_const {
                    let vals = xs
                        .into_iter()
                        .map(|x| match x.kind {
                            ExprKind::Const(v) => v,
                            _ => Value::Missing,
                        })
                        .collect();
                    typed(ExprKind::Const(Value::List(vals)), ty)
                } else {
                    typed(ExprKind::List(xs), ty)
                }
            }
            A::Now => typed(ExprKind::Now, Ty::Time),
            A::Received => {
                if !scope.received {
                    self.error(
                        Code::MisplacedReceived,
                        span,
                        "`received` only means something right after `wait up to … for EVENT`",
                    )
                    .with_help(
                        "`received` tells whether the event of the last `wait up to … for EVENT` arrived; it can only follow such a wait in a workflow",
                    );
                }
                typed(ExprKind::Received, Ty::Bool)
            }
            A::LeadAttr(name) => match self.ids.attr(&name.name) {
                Some(id) => {
                    let attr = &self.program.attrs[id as usize];
                    // An attribute without a default is missing until an `identify` sets it.
                    let ty = attr.ty.clone();
                    typed(ExprKind::Attr(id), ty)
                }
                None => {
                    let help = suggest::help(
                        &mut self.suggestions,
                        &name.name,
                        "declared attributes",
                        self.program.attrs.iter().map(|a| a.name.as_str()),
                    )
                    .unwrap_or_else(|| {
                        format!(
                            "declare it in the `lead {{ … }}` schema, as in `{}: string?`",
                            name.name
                        )
                    });
                    self.error(
                        Code::UnknownAttribute,
                        name.span,
                        format!("the lead has no attribute `{}`", name.name),
                    )
                    .with_label("not in the schema")
                    .with_help(help);
                    typed(ExprKind::Const(Value::Missing), Ty::Error)
                }
            },
            A::Path(path) => self.path(path, span, scope, expect),
            A::EventRead {
                received: false,
                prop,
            } => self.start_read(prop, span, scope, None),
            A::EventRead {
                received: true,
                prop,
            } => self.received_read(prop, span, scope),
            A::Neg(inner) => {
                let x = self.expr(inner, scope, expect);
                if !(x.ty.is_numeric() || x.ty.base() == &Ty::Duration) {
                    let g = self.describe_a(&x.ty);
                    self.error(
                        Code::BadOperands,
                        span,
                        format!("`-` needs a number, not {g}"),
                    );
                }
                let ty = x.ty.clone();
                typed(ExprKind::Neg(Box::new(x)), ty)
            }
            A::Not(inner) => {
                let x = self.cond(inner, scope);
                typed(ExprKind::Not(Box::new(x)), Ty::Bool)
            }
            A::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs, span, scope),
            A::Is { expr, set } => {
                let x = self.expr(expr, scope, None);
                typed(
                    ExprKind::Is {
                        expr: Box::new(x),
                        set: *set,
                    },
                    Ty::Bool,
                )
            }
            A::Matches {
                expr,
                regex,
                regex_span,
            } => {
                let x = self.expr(expr, scope, Some(&Ty::Str));
                if !matches!(x.ty.base(), Ty::Str | Ty::Error) {
                    let g = self.describe_a(&x.ty);
                    self.error(
                        Code::BadOperands,
                        x.span,
                        format!("`matches` needs a text, not {g}"),
                    );
                }
                self.bare_optional(&x, "matches", scope);
                if let Some(reason) = regex_problem(regex) {
                    self.error(Code::BadRegex, *regex_span, format!("this regex does not compile: {reason}"))
                        .with_label("invalid regex")
                        .with_help("Nurture uses Rust `regex` syntax; escape special characters such as `(` with `\\`");
                }
                typed(
                    ExprKind::Matches {
                        expr: Box::new(x),
                        regex: regex.clone(),
                    },
                    Ty::Bool,
                )
            }
            A::In { expr, negated, set } => self.in_test(expr, *negated, set, span, scope),
            A::History(h) => self.history(h, span, scope),
            A::Of { expr, lead } => {
                let Some(leads) = scope.test_leads else {
                    self.error(Code::TestOnly, span, "`NAME of LEAD` only works in tests and the REPL")
                        .with_help("in a campaign, conditions are about the lead being processed: write the name alone");
                    return typed(ExprKind::Const(Value::Missing), Ty::Error);
                };
                let l = self.test_lead(lead, leads);
                let inner = self.expr(expr, Scope::default(), expect);
                let ty = inner.ty.clone();
                match l {
                    Some(l) => typed(
                        ExprKind::Of {
                            expr: Box::new(inner),
                            lead: l,
                        },
                        ty,
                    ),
                    None => typed(ExprKind::Const(Value::Missing), Ty::Error),
                }
            }
        }
    }

    /// A `where` filter over one event's properties.
    pub(super) fn filter(&mut self, e: &ast::Expr, event: EventId, workflow: bool) -> Expr {
        self.cond(
            e,
            Scope {
                event: Some(event),
                in_where: true,
                workflow,
                ..Scope::default()
            },
        )
    }

    fn history(&mut self, h: &ast::History, span: Span, scope: Scope<'_>) -> Expr {
        let word = match h.kind {
            HistoryKind::Did => "did",
            HistoryKind::Count => "count",
            HistoryKind::Last => "last",
        };
        if scope.in_where {
            self.error(Code::HistoryInWhere, span, format!("`{word}` cannot be used inside a `where` filter"))
                .with_help("a `where` tests the event's own properties; combine history outside it: `(did A where …) and did B`");
        }
        if let Some(s) = h.since_enrolled {
            if !scope.workflow {
                self.error(
                    Code::MisplacedSince,
                    s,
                    "`since enrolled` only means something inside a workflow",
                )
                .with_help("use `within D` to limit history to a recent window");
            }
        }
        let ev = self.event_ref(&h.event);
        let filter = match (ev, &h.filter) {
            (Some(ev), Some(f)) => Some(self.filter(f, ev, scope.workflow)),
            _ => None,
        };
        if let Some(w) = h.within {
            if w.seconds == 0 {
                self.error(
                    Code::BadLiteral,
                    w.span,
                    "a `within` window must be longer than zero",
                );
            }
        }
        let ty = match h.kind {
            HistoryKind::Did => Ty::Bool,
            HistoryKind::Count => Ty::Int,
            HistoryKind::Last => Ty::Time.optional(),
        };
        let Some(event) = ev else {
            return Expr {
                kind: ExprKind::Const(Value::Missing),
                ty: Ty::Error,
                span,
            };
        };
        Expr {
            kind: ExprKind::History(Box::new(History {
                kind: h.kind,
                event,
                filter,
                within: h.within.map(|w| w.seconds),
                since_enrolled: h.since_enrolled.is_some(),
            })),
            ty,
            span,
        }
    }
}

/// Why a campaign's regex does not compile, if it does not. Remembered by pattern (a few
/// thousand at most): building a regex (its automata and prefilter) costs more than checking
/// the declaration around it, and the language server checks the file again at each keystroke.
fn regex_problem(pattern: &str) -> Option<String> {
    type Seen = std::sync::Mutex<HashMap<String, Option<String>>>;
    static SEEN: std::sync::OnceLock<Seen> = std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let remembered = |s: &Seen| {
        s.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(pattern)
            .cloned()
    };
    if let Some(problem) = remembered(seen) {
        return problem;
    }
    let problem = (regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build())
    .err()
    .map(|err| {
        let detail = err.to_string();
        (detail.lines().last().unwrap_or("").trim())
            .trim_start_matches("error: ")
            .to_string()
    });
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= 4096 {
        seen.clear();
    }
    seen.insert(pattern.to_string(), problem.clone());
    problem
}
