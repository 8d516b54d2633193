//! Score bodies: a derived score's expression, or its `decay`, `when` and `on` rules.

use super::{Checker, Scope};
use crate::check::program::*;
use crate::diag::Code;
use crate::lang::ops::EffectKind;
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn score_body(&mut self, s: &ast::ScoreDecl) -> ScoreKind {
        match &s.body {
            ast::ScoreBody::Derived(e) => ScoreKind::Derived(self.derived_score(e)),
            ast::ScoreBody::Rules(rules) => self.score_rules(&s.name, rules),
        }
    }

    /// A derived score's expression: a number that is never missing.
    fn derived_score(&mut self, e: &ast::Expr) -> Expr {
        let x = self.expr(e, Scope::default(), Some(&Ty::Number));
        if !x.ty.base().is_numeric() {
            let g = self.describe_a(&x.ty);
            self.error(
                Code::TypeMismatch,
                e.span,
                format!("a score is a number, but this is {g}"),
            )
            .with_label(format!("this is {g}"));
        } else if x.ty.is_optional() {
            self.error(
                Code::TypeMismatch,
                e.span,
                "a score is always a number, but this may be missing",
            )
            .with_help("supply a value for when it is missing with `??`, as in `lead.size ?? 0`");
        }
        x
    }

    /// A score's rules, in order: at most one `decay`, then its `when` and `on` rules.
    fn score_rules(&mut self, name: &ast::Ident, rules: &[ast::ScoreRule]) -> ScoreKind {
        let mut decay = None;
        let mut when = Vec::new();
        let mut on = Vec::new();
        for r in rules {
            match r {
                ast::ScoreRule::Decay {
                    percent,
                    every,
                    span,
                } => {
                    if decay.is_some() {
                        self.error(
                            Code::Misplaced,
                            *span,
                            format!("score `{}` decays twice", name.name),
                        )
                        .with_help("keep one `decay` rule");
                        continue;
                    }
                    decay = Some(self.decay_rule(percent, every));
                }
                ast::ScoreRule::When { effect, .. } if effect.kind == EffectKind::Set => {
                    self.error(Code::Misplaced, effect.span, "`set` has no meaning in a `when` rule")
                        .with_label("`when` rules add up")
                        .with_help("a `when` rule adds or subtracts while its condition holds; `set` belongs to `on` rules, as in `on email.unsubscribed set 0`");
                }
                ast::ScoreRule::When { cond, effect, span } => when.push(WhenRule {
                    cond: self.cond(cond, Scope::default()),
                    effect: effect.kind,
                    amount: effect.amount.value,
                    span: *span,
                }),
                ast::ScoreRule::On {
                    event,
                    filter,
                    effect,
                    cap,
                    span,
                } => on.extend(self.on_rule(event, filter.as_ref(), effect, cap.as_ref(), *span)),
            }
        }
        ScoreKind::Rules { decay, when, on }
    }

    /// A `decay` rule: a percentage above 0 and at most 100, a period longer than zero.
    fn decay_rule(&mut self, percent: &ast::Number, every: &ast::Duration) -> Decay {
        if !(percent.value > 0.0 && percent.value <= 100.0) {
            self.error(
                Code::BadPercent,
                percent.span,
                format!("a score cannot decay by {}%", percent.value),
            )
            .with_help("decay by more than 0% and at most 100%");
        }
        if every.seconds == 0 {
            self.error(
                Code::BadLiteral,
                every.span,
                "a decay period must be longer than zero",
            );
        }
        Decay {
            percent: percent.value,
            every: every.seconds.max(1),
        }
    }

    /// An `on EVENT [where …] add|subtract|set N [at most N times per D]` rule; `None` when
    /// the event is unknown.
    fn on_rule(
        &mut self,
        event: &ast::Ident,
        filter: Option<&ast::Expr>,
        effect: &ast::Effect,
        cap: Option<&ast::Cap>,
        span: Span,
    ) -> Option<OnRule> {
        let ev = self.event_ref(event)?;
        let filter = filter.map(|f| self.filter(f, ev, false));
        let cap = cap.map(|c| {
            if c.times == 0 || c.per.seconds == 0 {
                self.error(
                    Code::BadLiteral,
                    c.span,
                    "a cap needs at least one time per a period longer than zero",
                );
            }
            (c.times, c.per.seconds.max(1))
        });
        Some(OnRule {
            event: ev,
            filter,
            effect: effect.kind,
            amount: effect.amount.value,
            cap,
            span,
        })
    }
}
