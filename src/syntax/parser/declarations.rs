//! Declarations: each kind of item of a file (the campaign's name, the lead schema, enums,
//! events, scores and their rules, lists, triggers, the policy), with workflows and tests
//! built in files of their own.

use super::{inner, parts, Builder, Rule};
use crate::lang::ops::EffectKind;
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Builder {
    /// It stays whole: one arm per kind of declaration in the grammar.
    pub(super) fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        match pair.as_rule() {
            Rule::campaign_decl => Item::Campaign(self.string(parts(pair).remove(0))),
            Rule::lead_decl => {
                let span = self.span(&pair);
                Item::Lead(LeadDecl {
                    attrs: parts(pair).into_iter().map(|p| self.attr_decl(p)).collect(),
                    span,
                })
            }
            Rule::enum_decl => {
                let span = self.span(&pair);
                let mut ps = parts(pair).into_iter();
                let name = self.ident(ps.next().unwrap());
                Item::Enum(EnumDecl {
                    name,
                    variants: ps.map(|p| self.ident(p)).collect(),
                    span,
                })
            }
            Rule::event_decl => {
                let span = self.span(&pair);
                let mut decl = EventDecl {
                    name: Ident {
                        name: String::new(),
                        span,
                    },
                    segment_name: None,
                    props: Vec::new(),
                    span,
                };
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::event_name => decl.name = self.ident(p),
                        Rule::string => decl.segment_name = Some(self.string(p)),
                        Rule::prop_block => {
                            for prop in inner(p) {
                                let span = self.span(&prop);
                                let mut ps = inner(prop);
                                let name = self.ident(ps.next().unwrap());
                                let ty = self.type_expr(ps.next().unwrap());
                                decl.props.push(PropDecl { name, ty, span });
                            }
                        }
                        r => unreachable!("event_decl child {r:?}"),
                    }
                }
                Item::Event(decl)
            }
            Rule::score_decl => Item::Score(self.score_decl(pair)),
            Rule::list_decl => {
                let span = self.span(&pair);
                let mut name = None;
                let mut description = None;
                let mut cond = None;
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::description => {
                            description = Some(self.string(p.into_inner().next().unwrap()))
                        }
                        _ => cond = Some(self.expr(p)),
                    }
                }
                Item::List(ListDecl {
                    name: name.unwrap(),
                    description,
                    cond: cond.unwrap(),
                    span,
                })
            }
            Rule::trigger => {
                let span = self.span(&pair);
                let mut ps = parts(pair).into_iter();
                let src = ps.next().unwrap();
                let source = match src.as_rule() {
                    Rule::enter_list => TriggerSource::Enter(self.ident(parts(src).remove(0))),
                    Rule::exit_list => TriggerSource::Exit(self.ident(parts(src).remove(0))),
                    _ => {
                        let mut ps = inner(src);
                        let event = self.ident(ps.next().unwrap());
                        let filter = ps.next().map(|w| self.where_clause(w));
                        TriggerSource::Event { event, filter }
                    }
                };
                let action = self.step(ps.next().unwrap());
                Item::Trigger(Trigger {
                    source,
                    action,
                    span,
                })
            }
            Rule::workflow => Item::Workflow(self.workflow(pair)),
            Rule::decide_decl => Item::Decide(self.decide_decl(pair)),
            Rule::policy => {
                let span = self.span(&pair);
                Item::Policy(Policy {
                    items: parts(pair)
                        .into_iter()
                        .map(|p| self.policy_item(p))
                        .collect(),
                    span,
                })
            }
            Rule::test_decl => {
                let span = self.span(&pair);
                let mut ps = parts(pair).into_iter();
                let name = self.string(ps.next().unwrap());
                Item::Test(TestDecl {
                    name,
                    stmts: ps.map(|p| self.test_stmt(p)).collect(),
                    span,
                })
            }
            r => unreachable!("item {r:?}"),
        }
    }

    fn attr_decl(&mut self, pair: Pair<'_, Rule>) -> AttrDecl {
        let span = self.span(&pair);
        let mut ps = inner(pair);
        let name = self.ident(ps.next().unwrap());
        let ty = self.type_expr(ps.next().unwrap());
        let default = ps.next().map(|p| self.expr(p));
        AttrDecl {
            name,
            ty,
            default,
            span,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut optional = false;
        let mut kind = None;
        for p in inner(pair) {
            match p.as_rule() {
                Rule::ident => kind = Some(TypeExprKind::Named(self.ident(p))),
                Rule::list_type => {
                    let elem = parts(p).remove(0);
                    kind = Some(TypeExprKind::List(Box::new(self.type_expr(elem))));
                }
                Rule::optional_mark => optional = true,
                r => unreachable!("type child {r:?}"),
            }
        }
        TypeExpr {
            kind: kind.unwrap(),
            optional,
            span,
        }
    }

    fn score_decl(&mut self, pair: Pair<'_, Rule>) -> ScoreDecl {
        let span = self.span(&pair);
        let mut name = None;
        let mut description = None;
        let mut body = ScoreBody::Rules(Vec::new());
        for p in parts(pair) {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::description => {
                    description = Some(self.string(p.into_inner().next().unwrap()))
                }
                Rule::derived_score => {
                    body = ScoreBody::Derived(self.expr(p.into_inner().next().unwrap()))
                }
                Rule::score_block => {
                    body = ScoreBody::Rules(inner(p).map(|r| self.score_rule(r)).collect())
                }
                r => unreachable!("score child {r:?}"),
            }
        }
        ScoreDecl {
            name: name.unwrap(),
            description,
            body,
            span,
        }
    }

    fn score_rule(&mut self, pair: Pair<'_, Rule>) -> ScoreRule {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::decay_rule => {
                let mut ps = parts(pair).into_iter();
                let percent = self.percent(ps.next().unwrap());
                let every = self.duration(ps.next().unwrap());
                ScoreRule::Decay {
                    percent,
                    every,
                    span,
                }
            }
            Rule::when_rule => {
                let mut ps = parts(pair).into_iter();
                let cond = self.expr(ps.next().unwrap());
                let effect = self.effect(ps.next().unwrap());
                ScoreRule::When { cond, effect, span }
            }
            Rule::on_rule => {
                let mut event = None;
                let mut filter = None;
                let mut effect = None;
                let mut cap = None;
                for p in parts(pair) {
                    match p.as_rule() {
                        Rule::event_name | Rule::quoted_event => event = Some(self.ident(p)),
                        Rule::where_clause => filter = Some(self.where_clause(p)),
                        Rule::effect => effect = Some(self.effect(p)),
                        Rule::cap => cap = Some(self.cap(p)),
                        r => unreachable!("on rule child {r:?}"),
                    }
                }
                ScoreRule::On {
                    event: event.unwrap(),
                    filter,
                    effect: effect.unwrap(),
                    cap,
                    span,
                }
            }
            r => unreachable!("score rule {r:?}"),
        }
    }

    fn effect(&mut self, pair: Pair<'_, Rule>) -> Effect {
        let span = self.span(&pair);
        let mut ps = inner(pair);
        let kind = match ps.next().unwrap().as_rule() {
            Rule::kw_add => EffectKind::Add,
            Rule::kw_subtract => EffectKind::Subtract,
            _ => EffectKind::Set,
        };
        let amount = self.number(ps.next().unwrap());
        Effect { kind, amount, span }
    }

    fn cap(&mut self, pair: Pair<'_, Rule>) -> Cap {
        let span = self.span(&pair);
        let mut ps = parts(pair).into_iter();
        let times = self.integer(ps.next().unwrap());
        let per = self.duration(ps.next().unwrap());
        Cap { times, per, span }
    }

    fn policy_item(&mut self, pair: Pair<'_, Rule>) -> PolicyItem {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::frequency => {
                let mut ps = parts(pair).into_iter();
                let channel = self.ident(ps.next().unwrap());
                let times = self.integer(ps.next().unwrap());
                let per = self.duration(ps.next().unwrap());
                PolicyItem::Frequency {
                    channel,
                    times,
                    per,
                    span,
                }
            }
            Rule::quiet_hours => {
                let mut ps = parts(pair).into_iter();
                let from = self.time_of_day(ps.next().unwrap());
                let to = self.time_of_day(ps.next().unwrap());
                PolicyItem::QuietHours { from, to, span }
            }
            Rule::suppress => PolicyItem::Suppress {
                cond: self.expr(parts(pair).remove(0)),
                span,
            },
            r => unreachable!("policy item {r:?}"),
        }
    }
}
