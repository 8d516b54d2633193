//! Decisions for a lead at a moment: the rows tried top to bottom, the first whose condition
//! holds chosen, `else` when none does. A lead never seen gets the decision for a new lead:
//! one made from the schema's defaults and settled as a first `identify` would, then dropped.

use super::cycle::Cause;
use super::Machine;
use crate::compile::decisions::Outcome;
use crate::vm::action::Decided;

impl Machine {
    /// The row of decision `d` chosen for a lead now: its index, or the number of rows for
    /// `else`.
    pub fn decide(&self, lead: u32, d: u16) -> usize {
        self.compute_scores(lead, self.now);
        self.first_row(lead, d)
    }

    /// As `decide`, with the lead's scores already computed for now (inside a cycle).
    pub(super) fn first_row(&self, lead: u32, d: u16) -> usize {
        let rows = &self.c.decisions[d as usize].rows;
        self.first_holding(lead, rows.iter().map(|r| &r.cond))
            .unwrap_or(rows.len())
    }

    /// What row `row` of decision `d` gives (`else` past the last row).
    pub fn outcome(&self, d: u16, row: usize) -> &Outcome {
        let d = &self.c.decisions[d as usize];
        d.rows.get(row).map_or(&d.otherwise, |r| &r.value)
    }

    /// The template a `send … decide(d)` sends for a lead now, the chosen row's text, and
    /// which decision and row chose it.
    pub(super) fn decided_template(&self, lead: u32, d: u16) -> (u32, Decided) {
        let row = self.first_row(lead, d);
        let template = match self.outcome(d, row) {
            Outcome::Text(sym) => *sym,
            // The checker lets only text decisions name a template.
            Outcome::Record(_) => self.c.pools.texts.lookup("").unwrap_or(0),
        };
        let decision = &self.c.decisions[d as usize];
        let decided = Decided {
            name: decision.name.clone(),
            row: row as u32 + 1,
            otherwise: row == decision.rows.len(),
        };
        (template, decided)
    }

    /// Runs `f` on a new lead: the schema's defaults, scores and lists settled as a lead's
    /// first `identify` settles them. The lead is dropped afterwards and nothing else of the
    /// machine changes (no id, no timer, no journal entry).
    pub fn with_new_lead<T>(&mut self, f: impl FnOnce(&Machine, u32) -> T) -> T {
        self.leads.push_new();
        let lead = (self.leads.len() - 1) as u32;
        let mut changes = Vec::new();
        self.settle(lead, Cause::New, true, &mut changes);
        let out = f(self, lead);
        self.leads.pop_last();
        out
    }
}
