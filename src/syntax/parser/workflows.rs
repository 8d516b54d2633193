//! Workflows: their settings and their steps.

use super::{inner, parts, Builder, Rule};
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Builder {
    pub(super) fn workflow(&mut self, pair: Pair<'_, Rule>) -> Workflow {
        let span = self.span(&pair);
        let mut wf = Workflow {
            name: Ident {
                name: String::new(),
                span,
            },
            description: None,
            settings: Vec::new(),
            steps: Vec::new(),
            span,
        };
        for p in parts(pair) {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::ident => wf.name = self.ident(p),
                Rule::description => {
                    wf.description = Some(self.string(p.into_inner().next().unwrap()))
                }
                Rule::enroll => {
                    let how = parts(p).remove(0);
                    let enroll = match how.as_rule() {
                        Rule::enroll_every_time => Enroll::EveryTime,
                        _ => match parts(how).into_iter().next() {
                            Some(d) => Enroll::OncePer(self.duration(d)),
                            None => Enroll::Once,
                        },
                    };
                    wf.settings.push(WorkflowSetting::Enroll(enroll, pspan));
                }
                Rule::only_if => {
                    let e = self.expr(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::OnlyIf(e, pspan));
                }
                Rule::exit_when => {
                    let e = self.expr(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::ExitWhen(e, pspan));
                }
                Rule::goal => {
                    let e = self.expr(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::Goal(e, pspan));
                }
                Rule::holdout => {
                    let share = self.percent(parts(p).remove(0));
                    wf.settings.push(WorkflowSetting::Holdout(share, pspan));
                }
                _ => {
                    let step = self.step(p);
                    wf.steps.push(step);
                }
            }
        }
        wf
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Vec<Step> {
        inner(pair).map(|p| self.step(p)).collect()
    }

    /// It stays whole: one arm per kind of workflow step in the grammar.
    pub(super) fn step(&mut self, pair: Pair<'_, Rule>) -> Step {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::send_step => {
                let mut ps = parts(pair).into_iter();
                StepKind::Send {
                    channel: self.ident(ps.next().unwrap()),
                    template: self.string(ps.next().unwrap()),
                }
            }
            Rule::notify_step => {
                let mut ps = parts(pair).into_iter();
                StepKind::Notify {
                    audience: self.ident(ps.next().unwrap()),
                    message: self.string(ps.next().unwrap()),
                }
            }
            Rule::retarget_step => {
                let mut ps = inner(pair).skip(1);
                let add = ps.next().unwrap().as_rule() == Rule::kw_add;
                StepKind::Retarget {
                    add,
                    audience: self.string(ps.next().unwrap()),
                }
            }
            Rule::webhook_step => {
                let mut ps = parts(pair).into_iter();
                let name = self.string(ps.next().unwrap());
                let fields = ps.next().map(|o| self.object(o)).unwrap_or_default();
                StepKind::Webhook { name, fields }
            }
            Rule::set_step => {
                let mut ps = parts(pair).into_iter();
                let attr = self.lead_attr(ps.next().unwrap());
                StepKind::Set {
                    attr,
                    value: self.expr(ps.next().unwrap()),
                }
            }
            Rule::tag_step => StepKind::Tag(self.string(parts(pair).remove(0))),
            Rule::untag_step => StepKind::Untag(self.string(parts(pair).remove(0))),
            Rule::start_step => StepKind::Start(self.ident(parts(pair).remove(0))),
            Rule::stop_step => StepKind::Stop(self.ident(parts(pair).remove(0))),
            Rule::wait_for => StepKind::Wait(Wait::For(self.duration(parts(pair).remove(0)))),
            Rule::wait_until => {
                let mut weekday = false;
                let mut time = None;
                for p in inner(pair) {
                    match p.as_rule() {
                        Rule::kw_weekday => weekday = true,
                        Rule::time_of_day => time = Some(self.time_of_day(p)),
                        _ => {}
                    }
                }
                StepKind::Wait(Wait::Until {
                    weekday,
                    time: time.unwrap(),
                })
            }
            Rule::wait_up_to => {
                let mut ps = parts(pair).into_iter();
                let timeout = self.duration(ps.next().unwrap());
                let event = self.ident(ps.next().unwrap());
                let filter = ps.next().map(|w| self.where_clause(w));
                StepKind::Wait(Wait::UpTo {
                    timeout,
                    event,
                    filter,
                })
            }
            Rule::if_step => {
                let mut ps = parts(pair).into_iter();
                let cond = self.expr(ps.next().unwrap());
                let then = self.block(ps.next().unwrap());
                let otherwise = match ps.next() {
                    Some(p) if p.as_rule() == Rule::if_step => vec![self.step(p)],
                    Some(p) => self.block(p),
                    None => Vec::new(),
                };
                StepKind::If {
                    cond,
                    then,
                    otherwise,
                }
            }
            Rule::split_step => {
                let arms = parts(pair)
                    .into_iter()
                    .map(|arm| {
                        let span = self.span(&arm);
                        let mut ps = inner(arm);
                        let share = self.percent(ps.next().unwrap());
                        let label = self.string(ps.next().unwrap());
                        let body = ps.next().unwrap();
                        let steps = if body.as_rule() == Rule::block {
                            self.block(body)
                        } else {
                            vec![self.step(body)]
                        };
                        SplitArm {
                            share,
                            label,
                            steps,
                            span,
                        }
                    })
                    .collect();
                StepKind::Split { arms }
            }
            r => unreachable!("step {r:?}"),
        };
        Step { kind, span }
    }
}
