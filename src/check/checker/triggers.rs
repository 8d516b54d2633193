//! Triggers: a source (an event, or a lead entering or leaving a list) and the one step it
//! runs.

use super::{Checker, RunCtx, Scope};
use crate::check::program::*;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn trigger(&mut self, t: &ast::Trigger) -> Option<Trigger> {
        // Both halves are checked even when one is wrong, so every mistake shows at once.
        let source = match &t.source {
            ast::TriggerSource::Event { event, filter } => {
                self.event_ref(event).map(|ev| TriggerSource::Event {
                    event: ev,
                    filter: filter.as_ref().map(|f| self.filter(f, ev, false)),
                })
            }
            ast::TriggerSource::Enter(l) => self.list_ref(l).map(TriggerSource::Enter),
            ast::TriggerSource::Exit(l) => self.list_ref(l).map(TriggerSource::Exit),
        };
        let event = match &source {
            Some(TriggerSource::Event { event, .. }) => Some(*event),
            _ => None,
        };
        let mut scope = Scope {
            run: Some(RunCtx::Trigger {
                index: self.program.triggers.len() as u32,
                event,
            }),
            ..Scope::default()
        };
        let action = self.step(&t.action, &mut scope);
        Some(Trigger {
            source: source?,
            action: action?,
            span: t.span,
        })
    }
}
