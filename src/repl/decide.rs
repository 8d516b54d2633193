//! `:decide [ID] NAME` (and `:why ID NAME` for a decision): the row a lead gets, its value,
//! and each row tried on the way down with the values its condition read. An id the session
//! has not seen gets the decision for a new lead. `nurture decide` prints the same text.

use super::print::cond_lines;
use super::session::{list_words, Problem, Session};
use super::{sgr, Style};
use crate::diag::{Code, Diagnostic};
use crate::inspect::decide::DecisionWhy;
use crate::inspect::Explainer;
use crate::repl::commands::Arg;
use std::fmt::Write as _;

impl Session {
    /// `:decide NAME` for every lead of the session and a new one; `:decide ID NAME` for one.
    pub(super) fn decide(&mut self, id: Option<&Arg>, name: &Arg) -> Result<String, Problem> {
        let c = self.campaign()?;
        let Some(d) = c.program.decision(&name.text) else {
            let names: Vec<String> = c.program.decisions.iter().map(|d| d.name.clone()).collect();
            let help = match names.is_empty() {
                true => "the campaign declares no `decide` table".to_string(),
                false => format!("the decisions are {}", list_words(&names)),
            };
            return Err(Diagnostic::new(
                Code::UnknownName,
                name.span(),
                format!("the campaign has no decision `{}`", name.text),
            )
            .with_label("unknown decision")
            .with_help(help)
            .into());
        };
        if let Some(id) = id {
            return self.decide_for(&id.text, d as u16);
        }
        let style = self.style;
        let c = self.campaign_mut()?;
        let ex = c.explainer();
        let mut out = String::new();
        for (lead, who) in c.machine.lead_id_list().iter().enumerate() {
            let why = ex.decision(lead as u32, d as u16);
            let _ = writeln!(out, "{}", headline(&why, who, false, style));
        }
        let (program, source) = (&c.program, &c.source);
        let why = c.machine.with_new_lead(|m, lead| {
            let ex = Explainer { m, program, source };
            ex.decision(lead, d as u16)
        });
        let _ = writeln!(out, "{}", headline(&why, "a new lead", true, style));
        Ok(out)
    }

    /// The decision for one lead, explained; a lead the session has not seen is a new lead.
    pub(super) fn decide_for(&mut self, id: &str, d: u16) -> Result<String, Problem> {
        let style = self.style;
        let c = self.campaign_mut()?;
        let (program, source) = (&c.program, &c.source);
        let (why, new) = match c.machine.find_lead(id) {
            Some(lead) => (c.explainer().decision(lead, d), false),
            None => {
                let why = c
                    .machine
                    .with_new_lead(|m, lead| Explainer { m, program, source }.decision(lead, d));
                (why, true)
            }
        };
        Ok(explained(&why, id, new, style))
    }
}

/// One line: `homepage_cta for ann: "book-a-demo" (row 2: hot)`.
fn headline(w: &DecisionWhy, who: &str, new: bool, style: Style) -> String {
    let who = match new {
        true => style.paint(sgr::DIM, who),
        false => style.paint(sgr::BOLD_CYAN, who),
    };
    let row = match w.is_else {
        true => "else".to_string(),
        false => format!("row {}: {}", w.row + 1, w.when),
    };
    format!(
        "{} for {who}: {} ({row})",
        w.name,
        style.paint(sgr::BOLD, &w.value.to_string())
    )
}

/// The headline, then each row tried, ✗ for those that did not hold and ✓ for the one that
/// did, with the values each read.
pub fn explained(w: &DecisionWhy, id: &str, new: bool, style: Style) -> String {
    let who = match new {
        true => format!("{id} (a new lead)"),
        false => id.to_string(),
    };
    let mut out = headline(w, &who, new, style);
    out.push('\n');
    for c in &w.tried {
        cond_lines(c, "  ", style, &mut out, false);
    }
    if w.is_else {
        let _ = writeln!(out, "  {} else", style.paint(sgr::GREEN, "✓"),);
    }
    out
}
