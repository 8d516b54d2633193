//! Operators: `and`/`or` with the `is set` guards they carry, comparisons and arithmetic and
//! the types they give, `in`, and the W0101/W0109 warnings about them.

use super::{Checker, Scope};
use crate::check::hints;
use crate::check::program::*;
use crate::diag::{Code, Diagnostic};
use crate::lang::ops::BinOp;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast::{self, ExprKind as A};

impl Checker<'_> {
    /// W0101: a comparison on a value that may be missing, without `is set` or `??`.
    pub(super) fn bare_optional(&mut self, x: &Expr, op: &str, scope: Scope<'_>) {
        if !x.ty.is_optional() {
            return;
        }
        if Guarded::of(x, scope.event).is_some_and(|g| self.guarded.contains(&g)) {
            return;
        }
        let what = match (&x.kind, scope.event) {
            (ExprKind::Attr(id), _) => format!("`lead.{}`", self.program.attrs[*id as usize].name),
            (ExprKind::Prop(p), Some(ev)) => {
                let name = &self.program.events[ev as usize].props[*p as usize].name;
                format!("`{name}`")
            }
            _ => "this value".to_string(),
        };
        self.diags.push(
            Diagnostic::new(
                Code::BareOptional,
                x.span,
                format!("{what} may be missing, and then `{op}` is false"),
            )
            .with_label("may be missing")
            .with_help(
                "say what a missing value means: add `is set and …`, or give a fallback with `??`",
            ),
        );
    }

    pub(super) fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Expr {
        let typed = |kind: ExprKind, ty: Ty| Expr { kind, ty, span };
        match op {
            BinOp::And | BinOp::Or => {
                self.mixed_and_or(op, lhs);
                self.mixed_and_or(op, rhs);
                let l = self.cond(lhs, scope);
                let guards = self.guarded.len();
                if op == BinOp::And {
                    collect_set_guards(&l, scope.event, &mut self.guarded);
                }
                let r = self.cond(rhs, scope);
                self.guarded.truncate(guards);
                typed(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Ty::Bool,
                )
            }
            _ => {
                // Check the side that is not a bare name first, so `stage == customer` and
                // `customer == stage` both know `customer` is a Stage value.
                let rhs_first = is_bare_name(lhs) && !is_bare_name(rhs);
                let (l, r) = if rhs_first {
                    let r = self.expr(rhs, scope, None);
                    let l = self.expr(lhs, scope, Some(&r.ty.clone()));
                    (l, r)
                } else {
                    let l = self.expr(lhs, scope, None);
                    let want = match op {
                        BinOp::Coalesce => l.ty.base().clone(),
                        _ => l.ty.clone(),
                    };
                    let r = self.expr(rhs, scope, Some(&want));
                    (l, r)
                };
                let ty = self.binary_type(op, op_span, &l, &r);
                if op.is_comparison() {
                    self.bare_optional(&l, op.symbol(), scope);
                    self.bare_optional(&r, op.symbol(), scope);
                }
                typed(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    ty,
                )
            }
        }
    }

    /// W0109: `a and b or c` reads differently to different people; ask for parentheses.
    fn mixed_and_or(&mut self, parent: BinOp, child: &ast::Expr) {
        if let A::Binary {
            op, lhs, op_span, ..
        } = &child.kind
        {
            let parenthesised = child.span.start < lhs.span.start;
            if matches!(op, BinOp::And | BinOp::Or) && *op != parent && !parenthesised {
                self.diags.push(
                    Diagnostic::new(Code::MixedAndOr, *op_span, "`and` and `or` are mixed here without parentheses")
                        .with_label(format!("this `{}` binds first", op.symbol()))
                        .with_help("add parentheses to say which you mean: `(a and b) or c` or `a and (b or c)`"),
                );
            }
        }
    }

    fn binary_type(&mut self, op: BinOp, op_span: Span, l: &Expr, r: &Expr) -> Ty {
        let (lt, rt) = (l.ty.base().clone(), r.ty.base().clone());
        if lt.is_error() || rt.is_error() {
            return if op.is_comparison() {
                Ty::Bool
            } else {
                Ty::Error
            };
        }
        let optional = l.ty.is_optional() || r.ty.is_optional();
        let numeric = lt.is_numeric() && rt.is_numeric();
        let result = match op {
            BinOp::Eq | BinOp::Ne => (lt.fits(&rt) || rt.fits(&lt) || numeric).then_some(Ty::Bool),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered =
                    numeric || (lt == rt && matches!(lt, Ty::Duration | Ty::Time | Ty::TimeOfDay));
                ordered.then_some(Ty::Bool)
            }
            BinOp::Contains => match (&lt, &rt) {
                (Ty::Str, Ty::Str) => Some(Ty::Bool),
                (Ty::List(e), t) if t.fits(e) => Some(Ty::Bool),
                _ => None,
            },
            BinOp::StartsWith | BinOp::EndsWith => {
                (lt == Ty::Str && rt == Ty::Str).then_some(Ty::Bool)
            }
            BinOp::Coalesce => {
                if rt.fits(&lt) || (numeric && lt == Ty::Number) {
                    return if r.ty.is_optional() {
                        lt.optional()
                    } else {
                        lt
                    };
                }
                None
            }
            BinOp::Add | BinOp::Sub => match (&lt, &rt) {
                _ if numeric => Some(if lt == Ty::Int && rt == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Number
                }),
                (Ty::Duration, Ty::Duration) => Some(Ty::Duration),
                (Ty::Time, Ty::Duration) => Some(Ty::Time),
                (Ty::Time, Ty::Time) if op == BinOp::Sub => Some(Ty::Duration),
                _ => None,
            },
            BinOp::Mul => numeric.then(|| {
                if lt == Ty::Int && rt == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Number
                }
            }),
            BinOp::Div => numeric.then_some(Ty::Number),
            BinOp::And | BinOp::Or => Some(Ty::Bool),
        };
        match result {
            Some(t) if optional && !op.is_comparison() => t.optional(),
            Some(t) => t,
            None => {
                let (a, b) = (self.describe_a(&l.ty), self.describe_a(&r.ty));
                let unquoted = (hints::unquote(&l.ty, r)).or_else(|| hints::unquote(&r.ty, l));
                let help = match op {
                    _ if op.is_comparison() && unquoted.is_some() => unquoted.unwrap_or_default(),
                    BinOp::Coalesce => "the fallback after `??` must have the same type as the value before it".to_string(),
                    BinOp::Contains => {
                        "`contains` looks for a text inside a text, or a value in a list such as `lead.tags`".to_string()
                    }
                    BinOp::StartsWith | BinOp::EndsWith => format!("`{}` works on texts only", op.symbol()),
                    _ if lt == Ty::Str || rt == Ty::Str => {
                        "texts compare with `==`, `!=`, `contains`, `starts_with`, `ends_with`, `matches` and `in`".to_string()
                    }
                    _ => format!("both sides of `{}` must be numbers, durations or times of the same kind", op.symbol()),
                };
                self.error(
                    Code::BadOperands,
                    op_span,
                    format!("`{}` does not work on {a} and {b}", op.symbol()),
                )
                .with_secondary(l.span, format!("this is {a}"))
                .with_secondary(r.span, format!("this is {b}"))
                .with_help(help);
                if op.is_comparison() {
                    Ty::Bool
                } else {
                    Ty::Error
                }
            }
        }
    }

    pub(super) fn in_test(
        &mut self,
        lhs: &ast::Expr,
        negated: bool,
        set: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Expr {
        // Tests and the REPL: `ann in hot`.
        if let (Some(leads), A::Path(l), A::Path(s)) = (scope.test_leads, &lhs.kind, &set.kind) {
            if let ([lead], [list]) = (l.as_slice(), s.as_slice()) {
                if leads.contains(&lead.name) || self.ids.list(&list.name).is_some() {
                    let lead = self.test_lead(lead, leads);
                    let list = self.list_ref(list);
                    if let (Some(lead), Some(list)) = (lead, list) {
                        return Expr {
                            kind: ExprKind::LeadInList {
                                lead,
                                list,
                                negated,
                            },
                            ty: Ty::Bool,
                            span,
                        };
                    }
                    return Expr {
                        kind: ExprKind::Const(Value::Bool(false)),
                        ty: Ty::Error,
                        span,
                    };
                }
            }
        }
        let x = self.expr(lhs, scope, None);
        let want = Ty::List(Box::new(x.ty.base().clone()));
        let s = self.expr(set, scope, Some(&want));
        match s.ty.base() {
            Ty::List(elem) => {
                let numeric = x.ty.is_numeric() && elem.is_numeric();
                if !(x.ty.base().fits(elem) || elem.fits(x.ty.base()) || numeric) {
                    let (a, b) = (self.describe_a(&x.ty), self.describe_a(&s.ty));
                    self.error(
                        Code::BadOperands,
                        span,
                        format!("cannot look for {a} in {b}"),
                    )
                    .with_secondary(x.span, format!("this is {a}"));
                }
            }
            Ty::Error => {}
            other => {
                let b = self.describe_a(&other.clone());
                self.error(
                    Code::BadOperands,
                    s.span,
                    format!("`in` needs a list, such as `[\"US\", \"GB\"]`, not {b}"),
                );
            }
        }
        self.bare_optional(&x, if negated { "not in" } else { "in" }, scope);
        Expr {
            kind: ExprKind::In {
                expr: Box::new(x),
                negated,
                set: Box::new(s),
            },
            ty: Ty::Bool,
            span,
        }
    }
}

fn is_bare_name(e: &ast::Expr) -> bool {
    matches!(&e.kind, A::Path(p) if p.len() == 1)
}

/// A value `x is set` proves present for the rest of an `and` chain: an attribute, or a
/// property of the event in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guarded {
    Attr(AttrId),
    Prop(EventId, PropId),
}

impl Guarded {
    fn of(x: &Expr, event: Option<EventId>) -> Option<Guarded> {
        match x.kind {
            ExprKind::Attr(id) => Some(Guarded::Attr(id)),
            ExprKind::Prop(p) => Some(Guarded::Prop(event?, p)),
            _ => None,
        }
    }
}

/// The attributes and properties that `x is set` conjuncts prove present.
fn collect_set_guards(e: &Expr, event: Option<EventId>, out: &mut Vec<Guarded>) {
    match &e.kind {
        ExprKind::Is { expr, set: true } => out.extend(Guarded::of(expr, event)),
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => {
            collect_set_guards(lhs, event, out);
            collect_set_guards(rhs, event, out);
        }
        _ => {}
    }
}
