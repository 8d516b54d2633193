//! Decisions: `decide NAME { when COND -> VALUE … else -> VALUE }`, and `decide(NAME)` where a
//! send names its template.

use super::{parts, Builder, Rule};
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Builder {
    pub(super) fn decide_decl(&mut self, pair: Pair<'_, Rule>) -> DecideDecl {
        let span = self.span(&pair);
        let mut decl = DecideDecl {
            name: Ident {
                name: String::new(),
                span,
            },
            description: None,
            rows: Vec::new(),
            otherwise: None,
            span,
        };
        for p in parts(pair) {
            match p.as_rule() {
                Rule::ident => decl.name = self.ident(p),
                Rule::description => {
                    decl.description = Some(self.string(p.into_inner().next().unwrap()))
                }
                Rule::decide_row => {
                    let span = self.span(&p);
                    let mut ps = parts(p).into_iter();
                    let cond = self.expr(ps.next().unwrap());
                    let value = self.decide_value(ps.next().unwrap());
                    decl.rows.push(DecideRow { cond, value, span });
                }
                Rule::decide_else => {
                    let value = parts(p).remove(0);
                    decl.otherwise = Some(self.decide_value(value));
                }
                r => unreachable!("decide_decl child {r:?}"),
            }
        }
        decl
    }

    fn decide_value(&mut self, pair: Pair<'_, Rule>) -> DecideValue {
        match pair.as_rule() {
            Rule::object => {
                let span = self.span(&pair);
                DecideValue::Record {
                    fields: self.object(pair),
                    span,
                }
            }
            _ => DecideValue::Expr(self.expr(pair)),
        }
    }

    /// The decision `decide(NAME)` names.
    pub(super) fn decide_call(&mut self, pair: Pair<'_, Rule>) -> Ident {
        self.ident(parts(pair).remove(0))
    }
}
