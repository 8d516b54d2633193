//! Expressions, from `or` down to the atoms, with `where` filters and `{ name: value }`
//! objects.

use super::{inner, parts, Builder, Rule};
use crate::lang::ops::{BinOp, HistoryKind};
use crate::lang::span::Span;
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Builder {
    pub(super) fn object(&mut self, pair: Pair<'_, Rule>) -> Vec<Field> {
        inner(pair)
            .map(|f| {
                let mut ps = inner(f);
                let name = self.ident(ps.next().unwrap());
                let value = self.expr(ps.next().unwrap());
                Field { name, value }
            })
            .collect()
    }

    pub(super) fn where_clause(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.expr(parts(pair).remove(0))
    }

    /// It stays whole: one arm per expression rule in the grammar.
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren => {
                let mut e = self.expr(pair.into_inner().next().unwrap());
                if matches!(e.kind, ExprKind::Binary { .. }) {
                    // Keep the parentheses in the span so lints can tell `(a or b)` from `a or b`.
                    e.span = span;
                }
                e
            }
            Rule::or_expr | Rule::and_expr => {
                let op = if pair.as_rule() == Rule::or_expr {
                    BinOp::Or
                } else {
                    BinOp::And
                };
                let mut ps = inner(pair);
                let mut lhs = self.expr(ps.next().unwrap());
                while let Some(kw) = ps.next() {
                    let op_span = self.span(&kw);
                    let rhs = self.expr(ps.next().unwrap());
                    lhs = binary(op, op_span, lhs, rhs);
                }
                lhs
            }
            Rule::not_expr => {
                let ps: Vec<_> = inner(pair).collect();
                let (nots, rest) = ps.split_at(ps.len() - 1);
                let mut e = self.expr(rest[0].clone());
                for n in nots.iter().rev() {
                    let s = self.span(n).to(e.span);
                    e = Expr {
                        kind: ExprKind::Not(Box::new(e)),
                        span: s,
                    };
                }
                e
            }
            Rule::comparison => {
                let mut ps = inner(pair);
                let lhs = self.expr(ps.next().unwrap());
                match ps.next() {
                    None => lhs,
                    Some(tail) => self.comparison_tail(lhs, tail, span),
                }
            }
            Rule::coalesce | Rule::sum | Rule::product => {
                let rule = pair.as_rule();
                let mut ps = inner(pair).peekable();
                let mut lhs = self.expr(ps.next().unwrap());
                while ps.peek().is_some() {
                    let (op, op_span) = if rule == Rule::coalesce {
                        (
                            BinOp::Coalesce,
                            Span::new(lhs.span.end as usize, lhs.span.end as usize),
                        )
                    } else {
                        let o = ps.next().unwrap();
                        let op = match o.as_str() {
                            "+" => BinOp::Add,
                            "-" => BinOp::Sub,
                            "*" => BinOp::Mul,
                            _ => BinOp::Div,
                        };
                        (op, self.span(&o))
                    };
                    let rhs = self.expr(ps.next().unwrap());
                    let op_span = if rule == Rule::coalesce {
                        Span::new(op_span.start as usize, rhs.span.start as usize)
                    } else {
                        op_span
                    };
                    lhs = binary(op, op_span, lhs, rhs);
                }
                lhs
            }
            Rule::unary => {
                let ps: Vec<_> = inner(pair).collect();
                let (negs, rest) = ps.split_at(ps.len() - 1);
                let mut e = self.expr(rest[0].clone());
                for n in negs.iter().rev() {
                    let s = self.span(n).to(e.span);
                    e = match e.kind {
                        // Fold `-5` into a literal so `add -5` and `x > -5` read naturally.
                        ExprKind::Int(i) => Expr {
                            kind: ExprKind::Int(-i),
                            span: s,
                        },
                        ExprKind::Number(f) => Expr {
                            kind: ExprKind::Number(-f),
                            span: s,
                        },
                        _ => Expr {
                            kind: ExprKind::Neg(Box::new(e)),
                            span: s,
                        },
                    };
                }
                e
            }
            Rule::postfix => {
                let mut ps = parts(pair).into_iter();
                let e = self.expr(ps.next().unwrap());
                match ps.next() {
                    None => e,
                    Some(lead) => Expr {
                        kind: ExprKind::Of {
                            expr: Box::new(e),
                            lead: self.ident(lead),
                        },
                        span,
                    },
                }
            }
            Rule::did_expr | Rule::count_expr | Rule::last_expr => {
                let kind = match pair.as_rule() {
                    Rule::did_expr => HistoryKind::Did,
                    Rule::count_expr => HistoryKind::Count,
                    _ => HistoryKind::Last,
                };
                let mut h = History {
                    kind,
                    event: Ident {
                        name: String::new(),
                        span,
                    },
                    filter: None,
                    within: None,
                    since_enrolled: None,
                };
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::event_name | Rule::quoted_event => h.event = self.ident(p),
                        Rule::where_clause => h.filter = Some(self.where_clause(p)),
                        Rule::within => h.within = Some(self.duration(parts(p).remove(0))),
                        Rule::since_enrolled => h.since_enrolled = Some(self.span(&p)),
                        r => unreachable!("history child {r:?}"),
                    }
                }
                Expr {
                    kind: ExprKind::History(Box::new(h)),
                    span,
                }
            }
            Rule::lead_attr => Expr {
                kind: ExprKind::LeadAttr(self.lead_attr(pair)),
                span,
            },
            Rule::path => Expr {
                kind: ExprKind::Path(inner(pair).map(|p| self.ident(p)).collect()),
                span,
            },
            Rule::event_read => {
                let mut ps = inner(pair);
                let received = ps.next().unwrap().as_rule() == Rule::kw_received;
                Expr {
                    kind: ExprKind::EventRead {
                        received,
                        prop: self.ident(ps.next().unwrap()),
                    },
                    span,
                }
            }
            Rule::now => Expr {
                kind: ExprKind::Now,
                span,
            },
            Rule::received => Expr {
                kind: ExprKind::Received,
                span,
            },
            Rule::list_literal => Expr {
                kind: ExprKind::List(inner(pair).map(|p| self.expr(p)).collect()),
                span,
            },
            _ => self.literal(pair),
        }
    }

    fn comparison_tail(&mut self, lhs: Expr, tail: Pair<'_, Rule>, span: Span) -> Expr {
        let kind = match tail.as_rule() {
            Rule::is_test => {
                let set = tail.into_inner().nth(1).unwrap().as_rule() == Rule::kw_set;
                ExprKind::Is {
                    expr: Box::new(lhs),
                    set,
                }
            }
            Rule::matches_test => {
                let re = tail.into_inner().nth(1).unwrap();
                let regex_span = self.span(&re);
                let body = re
                    .into_inner()
                    .next()
                    .map(|b| b.as_str().to_string())
                    .unwrap_or_default();
                ExprKind::Matches {
                    expr: Box::new(lhs),
                    regex: body,
                    regex_span,
                }
            }
            Rule::in_test => {
                let mut negated = false;
                let mut set = None;
                for p in tail.into_inner() {
                    match p.as_rule() {
                        Rule::negation => negated = true,
                        Rule::kw_in => {}
                        _ => set = Some(self.expr(p)),
                    }
                }
                ExprKind::In {
                    expr: Box::new(lhs),
                    negated,
                    set: Box::new(set.unwrap()),
                }
            }
            _ => {
                let mut ps = tail.into_inner();
                let op_pair = ps.next().unwrap();
                let op_span = self.span(&op_pair);
                let op = match op_pair.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    ">=" => BinOp::Ge,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    "<" => BinOp::Lt,
                    "contains" => BinOp::Contains,
                    "starts_with" => BinOp::StartsWith,
                    _ => BinOp::EndsWith,
                };
                let rhs = self.expr(ps.next().unwrap());
                return binary(op, op_span, lhs, rhs);
            }
        };
        Expr { kind, span }
    }
}

fn binary(op: BinOp, op_span: Span, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            op_span,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}
