//! The statements of `test` blocks (and of the REPL's input): leads, events, clock moves and
//! expectations.

use super::{inner, parts, Builder, Rule};
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Builder {
    pub(super) fn test_stmt(&mut self, pair: Pair<'_, Rule>) -> TestStmt {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::test_lead => {
                let mut ps = parts(pair).into_iter();
                let name = self.ident(ps.next().unwrap());
                let fields = self.object(ps.next().unwrap());
                TestStmt::Lead { name, fields, span }
            }
            Rule::test_at => {
                let mut ps = parts(pair).into_iter();
                let time = self.literal(ps.next().unwrap());
                let event = ps.next().map(|p| self.test_event(p));
                TestStmt::At { time, event, span }
            }
            Rule::test_after => {
                let mut ps = parts(pair).into_iter();
                let duration = self.duration(ps.next().unwrap());
                let event = ps.next().map(|p| self.test_event(p));
                TestStmt::After {
                    duration,
                    event,
                    span,
                }
            }
            Rule::test_expect => {
                let e = inner(pair).nth(1).unwrap();
                let espan = self.span(&e);
                TestStmt::Expect(match e.as_rule() {
                    Rule::expect_sent => {
                        let mut lead = None;
                        let mut negated = false;
                        let mut channel = None;
                        let mut template = None;
                        for p in parts(e) {
                            match p.as_rule() {
                                Rule::ident if lead.is_none() => lead = Some(self.ident(p)),
                                Rule::ident => channel = Some(self.ident(p)),
                                Rule::negation => negated = true,
                                Rule::string => template = Some(self.string(p)),
                                r => unreachable!("expect sent {r:?}"),
                            }
                        }
                        Expectation::Sent {
                            lead: lead.unwrap(),
                            negated,
                            channel: channel.unwrap(),
                            template,
                            span: espan,
                        }
                    }
                    Rule::expect_workflow => {
                        let mut lead = None;
                        let mut negated = false;
                        let mut workflow = None;
                        let mut step = None;
                        for p in parts(e) {
                            match p.as_rule() {
                                Rule::ident if lead.is_none() => lead = Some(self.ident(p)),
                                Rule::ident => workflow = Some(self.ident(p)),
                                Rule::negation => negated = true,
                                Rule::string => step = Some(self.string(p)),
                                r => unreachable!("expect workflow {r:?}"),
                            }
                        }
                        Expectation::InWorkflow {
                            lead: lead.unwrap(),
                            negated,
                            workflow: workflow.unwrap(),
                            step,
                            span: espan,
                        }
                    }
                    Rule::expect_converted => {
                        let mut ids = Vec::new();
                        let mut negated = false;
                        for p in parts(e) {
                            match p.as_rule() {
                                Rule::ident => ids.push(self.ident(p)),
                                _ => negated = true,
                            }
                        }
                        let workflow = ids.pop().unwrap();
                        Expectation::Converted {
                            lead: ids.pop().unwrap(),
                            negated,
                            workflow,
                            span: espan,
                        }
                    }
                    _ => Expectation::Holds(self.expr(e)),
                })
            }
            r => unreachable!("test statement {r:?}"),
        }
    }

    fn test_event(&mut self, pair: Pair<'_, Rule>) -> TestEvent {
        let span = self.span(&pair);
        let mut ps = inner(pair);
        let lead = self.ident(ps.next().unwrap());
        let event = self.ident(ps.next().unwrap());
        let props = ps.next().map(|o| self.object(o)).unwrap_or_default();
        TestEvent {
            lead,
            event,
            props,
            span,
        }
    }
}
