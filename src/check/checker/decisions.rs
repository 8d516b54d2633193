//! Decisions: `decide NAME { when COND -> VALUE … else -> VALUE }`. Each row's condition is an
//! ordinary condition; its value is fixed text or a record of fixed fields, and every row
//! must give the same shape (E0318). `else` is required (E0317). A row an earlier row always
//! takes first is warned of (W0115), and so is a row that always holds with rows after it
//! (W0116). `send CHANNEL decide(NAME)` takes its template from a text decision.

use super::{Checker, Scope};
use crate::check::program::*;
use crate::diag::Code;
use crate::lang::modes::Channel;
use crate::lang::ops::BinOp;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast;

impl<'a> Checker<'a> {
    /// Records a decision's name; its rows are checked by `define_decisions`.
    pub(super) fn declare_decision(&mut self, d: &'a ast::DecideDecl) {
        if let Some(first) = (self.program.decisions.iter())
            .find(|x| x.name == d.name.name)
            .map(|x| x.span)
        {
            self.duplicate(&d.name, first, "decision");
            return;
        }
        self.program.decisions.push(Decision {
            name: d.name.name.clone(),
            description: d.description.as_ref().map(|s| s.display()),
            rows: Vec::new(),
            otherwise: Outcome::Text(String::new()),
            else_span: d.span,
            span: d.name.span,
        });
        self.decisions.push(d);
    }

    /// Checks every decision's rows, in file order.
    pub(super) fn define_decisions(&mut self) {
        for (i, d) in self.decisions.clone().into_iter().enumerate() {
            let mut shape: Option<(Outcome, Span)> = None;
            let mut rows = Vec::with_capacity(d.rows.len());
            for r in &d.rows {
                let cond = self.cond(&r.cond, Scope::default());
                let value = self.outcome(&r.value, &mut shape);
                rows.push(DecisionRow {
                    cond,
                    value,
                    span: r.span,
                });
            }
            let (otherwise, else_span) = match &d.otherwise {
                Some(v) => (self.outcome(v, &mut shape), v.span()),
                None => {
                    self.error(
                        Code::MissingElse,
                        d.name.span,
                        format!("the decision `{}` has no `else` row", d.name.name),
                    )
                    .with_label("no `else`")
                    .with_help(
                        "end the rows with `else -> VALUE`: what a lead gets when no row holds \
                         (a new lead, for one)",
                    );
                    (Outcome::Text(String::new()), d.span)
                }
            };
            unreachable_rows(&rows, &mut self.diags);
            let decision = &mut self.program.decisions[i];
            decision.rows = rows;
            decision.otherwise = otherwise;
            decision.else_span = else_span;
        }
    }

    /// A row's value, checked against the first row's shape (`shape`, set by the first).
    fn outcome(&mut self, v: &ast::DecideValue, shape: &mut Option<(Outcome, Span)>) -> Outcome {
        let out = match v {
            ast::DecideValue::Expr(e) => match self.fixed(e) {
                Some(Value::Str(s)) => Outcome::Text(s),
                Some(_) | None => {
                    self.not_fixed(e.span, "text");
                    return shape
                        .as_ref()
                        .map_or(Outcome::Text(String::new()), |s| s.0.clone());
                }
            },
            ast::DecideValue::Record { fields, .. } => {
                let mut out: Vec<(String, Value, Ty)> = Vec::new();
                for f in fields {
                    if out.iter().any(|(n, ..)| *n == f.name.name) {
                        self.error(
                            Code::Duplicate,
                            f.name.span,
                            format!("the field `{}` is given twice", f.name.name),
                        )
                        .with_help("keep one of them");
                        continue;
                    }
                    let x = self.expr(&f.value, Scope::default(), None);
                    match fold(&x) {
                        Some(value) if !x.ty.is_error() => {
                            out.push((f.name.name.clone(), value, x.ty.base().clone()))
                        }
                        _ => {
                            if !x.ty.is_error() {
                                self.not_fixed(f.value.span, "a field");
                            }
                            out.push((f.name.name.clone(), Value::Missing, Ty::Error));
                        }
                    }
                }
                Outcome::Record(out)
            }
        };
        match shape {
            None => *shape = Some((out.clone(), v.span())),
            Some((first, at)) => {
                let at = *at;
                if let Some(why) = differs(first, &out, &self.program) {
                    self.error(
                        Code::DecisionTypes,
                        v.span(),
                        format!("this row gives {why}"),
                    )
                    .with_label("a different kind of value")
                    .with_secondary(at, "the first row's value")
                    .with_help(
                        "every row gives the same kind of value: all text, or all records with \
                         the same fields of the same types",
                    );
                }
            }
        }
        out
    }

    /// A constant value of a text row, or `None` (with any error already reported).
    fn fixed(&mut self, e: &ast::Expr) -> Option<Value> {
        let x = self.expr(e, Scope::default(), Some(&Ty::Str));
        if x.ty.is_error() {
            // Reported already: say nothing more about it.
            return Some(Value::Str(String::new()));
        }
        fold(&x)
    }

    fn not_fixed(&mut self, span: Span, what: &str) {
        self.error(
            Code::DecisionValue,
            span,
            format!("a decision's value must be fixed: {what} written out, not computed"),
        )
        .with_label("not fixed text or a fixed value")
        .with_help(
            "give text such as `\"book-a-demo\"`, or a record of fixed values such as \
             `{ cta: \"book-a-demo\", discount: 10 }`",
        );
    }

    /// `send CHANNEL decide(NAME)`: the decision must exist and give text.
    pub(super) fn send_decided(
        &mut self,
        channel: Channel,
        name: &ast::Ident,
        data: Vec<(String, Expr)>,
    ) -> Option<StepKind> {
        let Some(d) = self.program.decision(&name.name) else {
            let help = crate::check::suggest::help(
                &mut self.suggestions,
                &name.name,
                "decisions",
                self.program.decisions.iter().map(|d| d.name.as_str()),
            );
            self.error(
                Code::UnknownName,
                name.span,
                format!("there is no decision named `{}`", name.name),
            )
            .with_label("unknown decision")
            .with_help_opt(help.or(Some("declare it with `decide NAME { … }`".into())));
            return None;
        };
        let first = self.decisions[d as usize]
            .rows
            .first()
            .map(|r| &r.value)
            .or(self.decisions[d as usize].otherwise.as_ref());
        if let Some(ast::DecideValue::Record { .. }) = first {
            self.error(
                Code::TypeMismatch,
                name.span,
                format!(
                    "`{}` decides a record, and a send needs a template name (text)",
                    name.name
                ),
            )
            .with_label("gives a record")
            .with_help("send with a decision whose rows give text, such as `\"book-a-demo\"`");
            return None;
        }
        Some(StepKind::SendDecided {
            channel,
            decision: d,
            data,
        })
    }
}

/// The constant an expression is, folding a minus before a number.
fn fold(x: &Expr) -> Option<Value> {
    match &x.kind {
        ExprKind::Const(Value::Missing) => None,
        ExprKind::Const(v) => Some(v.clone()),
        ExprKind::Neg(inner) => match fold(inner)? {
            Value::Int(i) => Some(Value::Int(-i)),
            Value::Number(n) => Some(Value::Number(-n)),
            Value::Duration(d) => Some(Value::Duration(-d)),
            _ => None,
        },
        _ => None,
    }
}

/// How `other` differs from the first row's value, in words; `None` when they agree.
fn differs(first: &Outcome, other: &Outcome, p: &Program) -> Option<String> {
    let numeric = |t: &Ty| matches!(t, Ty::Int | Ty::Number);
    match (first, other) {
        (Outcome::Text(_), Outcome::Text(_)) => None,
        (Outcome::Text(_), Outcome::Record(_)) => {
            Some("a record, but the first row gives text".into())
        }
        (Outcome::Record(_), Outcome::Text(_)) => {
            Some("text, but the first row gives a record".into())
        }
        (Outcome::Record(a), Outcome::Record(b)) => {
            for (name, _, ty) in a {
                match b.iter().find(|(n, ..)| n == name) {
                    None => return Some(format!("no `{name}`, which the first row gives")),
                    Some((_, _, t)) => {
                        let agree = t == ty || ty.is_error() || t.is_error();
                        if !(agree || numeric(t) && numeric(ty)) {
                            return Some(format!(
                                "`{name}` as {}, but the first row gives {}",
                                p.describe(t),
                                p.describe(ty)
                            ));
                        }
                    }
                }
            }
            (b.iter().find(|(n, ..)| !a.iter().any(|(m, ..)| m == n)))
                .map(|(n, ..)| format!("`{n}`, which the first row does not give"))
        }
    }
}

/// W0116 for a row that always holds with rows after it; W0115 for a row an earlier row
/// always takes first (the same condition, or one that holds whenever this one does).
fn unreachable_rows(rows: &[DecisionRow], diags: &mut Vec<crate::diag::Diagnostic>) {
    for (i, r) in rows.iter().enumerate() {
        if is_true(&r.cond) {
            let later = rows.len() - i - 1;
            diags.push(
                crate::diag::Diagnostic::new(
                    Code::AlwaysHoldsRow,
                    r.cond.span,
                    match later {
                        0 => "this row always holds, so `else` is never chosen".to_string(),
                        n => format!(
                            "this row always holds, so the {} after it and `else` are never chosen",
                            if n == 1 { "row" } else { "rows" }
                        ),
                    },
                )
                .with_label("always true")
                .with_help("make it the `else` row, or narrow its condition"),
            );
            return;
        }
        if let Some(j) = (0..i).find(|&j| implies(&r.cond, &rows[j].cond)) {
            let earlier = &rows[j];
            let same = same(&r.cond, &earlier.cond);
            diags.push(
                crate::diag::Diagnostic::new(
                    Code::UnreachableRow,
                    r.cond.span,
                    if same {
                        "this row is never chosen: an earlier row has the same condition"
                    } else {
                        "this row is never chosen: an earlier row holds whenever it does"
                    },
                )
                .with_label("never chosen")
                .with_secondary(earlier.cond.span, "checked first")
                .with_help(
                    "rows are checked top to bottom: move the narrower row above the wider one, \
                     or remove it",
                ),
            );
        }
    }
}

fn is_true(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Const(Value::Bool(true)))
}

/// Whether `b` holding means `a` holds, as far as can be told from their shapes (never a
/// wrong yes: a `no` only means "cannot tell").
fn implies(b: &Expr, a: &Expr) -> bool {
    if is_true(a) || same(b, a) {
        return true;
    }
    match (&a.kind, &b.kind) {
        (
            ExprKind::Binary {
                op: BinOp::Or,
                lhs,
                rhs,
            },
            _,
        ) => implies(b, lhs) || implies(b, rhs),
        (
            ExprKind::Binary {
                op: BinOp::And,
                lhs,
                rhs,
            },
            _,
        ) => implies(b, lhs) && implies(b, rhs),
        (
            _,
            ExprKind::Binary {
                op: BinOp::And,
                lhs,
                rhs,
            },
        ) => implies(lhs, a) || implies(rhs, a),
        (
            _,
            ExprKind::Binary {
                op: BinOp::Or,
                lhs,
                rhs,
            },
        ) => implies(lhs, a) && implies(rhs, a),
        _ => tighter_bound(b, a),
    }
}

/// `x > 80` implies `x > 50`: the same value bounded the same way by a constant, more tightly.
fn tighter_bound(b: &Expr, a: &Expr) -> bool {
    let (Some((ob, xb, kb)), Some((oa, xa, ka))) = (bound(b), bound(a)) else {
        return false;
    };
    if !same(xb, xa) {
        return false;
    }
    match (ob, oa) {
        (BinOp::Gt | BinOp::Ge, BinOp::Gt | BinOp::Ge) => {
            kb > ka || (kb == ka && (oa == BinOp::Ge || ob == BinOp::Gt))
        }
        (BinOp::Lt | BinOp::Le, BinOp::Lt | BinOp::Le) => {
            kb < ka || (kb == ka && (oa == BinOp::Le || ob == BinOp::Lt))
        }
        (BinOp::Eq, BinOp::Ge) => kb >= ka,
        (BinOp::Eq, BinOp::Gt) => kb > ka,
        (BinOp::Eq, BinOp::Le) => kb <= ka,
        (BinOp::Eq, BinOp::Lt) => kb < ka,
        _ => false,
    }
}

/// `x OP K` with a constant number `K`: (OP, x, K).
fn bound(e: &Expr) -> Option<(BinOp, &Expr, f64)> {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
            let k = match &rhs.kind {
                ExprKind::Const(Value::Int(i)) => *i as f64,
                ExprKind::Const(Value::Number(n)) => *n,
                _ => return None,
            };
            Some((*op, lhs.as_ref(), k))
        }
        _ => None,
    }
}

/// Whether two checked expressions are the same, spans aside.
fn same(a: &Expr, b: &Expr) -> bool {
    use ExprKind as K;
    match (&a.kind, &b.kind) {
        (K::Const(x), K::Const(y)) => x == y,
        (K::Attr(x), K::Attr(y)) => x == y,
        (K::Prop(x), K::Prop(y)) => x == y,
        (K::Score(x), K::Score(y)) => x == y,
        (K::InList(x), K::InList(y)) => x == y,
        (K::Now, K::Now) | (K::Received, K::Received) => true,
        (K::Not(x), K::Not(y)) | (K::Neg(x), K::Neg(y)) => same(x, y),
        (K::List(x), K::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (
            K::Binary { op, lhs, rhs },
            K::Binary {
                op: op2,
                lhs: lhs2,
                rhs: rhs2,
            },
        ) => op == op2 && same(lhs, lhs2) && same(rhs, rhs2),
        (K::Is { expr, set }, K::Is { expr: e2, set: s2 }) => set == s2 && same(expr, e2),
        (
            K::Matches { expr, regex },
            K::Matches {
                expr: e2,
                regex: r2,
            },
        ) => regex == r2 && same(expr, e2),
        (
            K::In { expr, negated, set },
            K::In {
                expr: e2,
                negated: n2,
                set: s2,
            },
        ) => negated == n2 && same(expr, e2) && same(set, s2),
        (K::History(x), K::History(y)) => {
            x.kind == y.kind
                && x.event == y.event
                && x.within == y.within
                && x.since_enrolled == y.since_enrolled
                && match (&x.filter, &y.filter) {
                    (None, None) => true,
                    (Some(f), Some(g)) => same(f, g),
                    _ => false,
                }
        }
        _ => false,
    }
}
