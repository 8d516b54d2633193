//! A decision for one lead, explained: the row chosen, what it gives, and each row tried on
//! the way down with the values its condition read, as `:why` explains a list. The REPL's
//! `:decide`, `nurture decide` and `GET /v1/leads/{id}/decide/{name}` all answer from here.

use super::{Cond, Explainer, Join};
use crate::compile::decisions::Outcome;
use crate::lang::format;
use crate::vm::machine::Machine;
use serde_json::{json, Map, Value};

/// Decision `d` for one lead now.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionWhy {
    pub name: String,
    /// The row chosen, counted from 0; the number of rows for `else`.
    pub row: usize,
    pub is_else: bool,
    /// The chosen row's condition as written (`else` for `else`).
    pub when: String,
    /// What the row gives: a text, or a record's fields by name.
    pub value: Value,
    /// The rows tried, top to bottom, down to the chosen one.
    pub tried: Vec<Cond>,
}

impl Explainer<'_> {
    /// Decision `d` for a lead, each row's condition broken into its parts and the values it
    /// read (the campaign's source is at hand).
    pub fn decision(&self, lead: u32, d: u16) -> DecisionWhy {
        let pd = &self.program.decisions[d as usize];
        let cd = &self.m.c.decisions[d as usize];
        why(self.m, lead, d, |i| {
            self.cond(lead, &pd.rows[i].cond, &cd.rows[i].cond, None)
        })
    }
}

/// Decision `d` for a lead from the compiled program alone (a campaign loaded from an `.nbc`
/// file): each row tried with whether it held, without the values read.
pub fn decision(m: &Machine, lead: u32, d: u16) -> DecisionWhy {
    let cd = &m.c.decisions[d as usize];
    why(m, lead, d, |i| Cond {
        text: cd.rows[i].text.clone(),
        holds: Some(m.eval_compiled(lead, &cd.rows[i].cond, None).truthy()),
        join: Join::Leaf,
        parts: Vec::new(),
        facts: Vec::new(),
    })
}

fn why(m: &Machine, lead: u32, d: u16, explain: impl Fn(usize) -> Cond) -> DecisionWhy {
    let cd = &m.c.decisions[d as usize];
    let row = m.decide(lead, d);
    let is_else = row >= cd.rows.len();
    DecisionWhy {
        name: cd.name.clone(),
        row,
        is_else,
        when: cd.rows.get(row).map_or("else".into(), |r| r.text.clone()),
        value: outcome_json(m, lead, m.outcome(d, row)),
        tried: (0..cd.rows.len().min(row + 1)).map(explain).collect(),
    }
}

/// A row's value as JSON: a text as a string, a record as an object.
pub fn outcome_json(m: &Machine, lead: u32, o: &Outcome) -> Value {
    match o {
        Outcome::Text(sym) => Value::String(m.c.pools.texts.get(*sym).to_string()),
        Outcome::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v, ty)| (k.clone(), m.json(lead, *v, Some(ty))))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// The index of the decision named `name`.
pub fn find_in(c: &crate::compile::Compiled, name: &str) -> Option<u16> {
    (c.decisions.iter())
        .position(|d| d.name == name)
        .map(|i| i as u16)
}

/// The answer as JSON (docs/serve.md): the lead, whether it is new, the clock, the row (from
/// 1, as a marketer counts; `else` is one past the last), its condition, its value and why.
pub fn decision_json(w: &DecisionWhy, id: &str, new_lead: bool, now: i64) -> Value {
    let why: Vec<Value> = w.tried.iter().map(cond_json).collect();
    json!({
        "decision": w.name,
        "lead": id,
        "new_lead": new_lead,
        "clock": (now > 0).then(|| format::instant(now)),
        "row": w.row + 1,
        "else": w.is_else,
        "when": w.when,
        "value": w.value,
        "why": why,
    })
}

/// A condition as JSON: its text, whether it held, the values it read, and its parts.
pub fn cond_json(c: &Cond) -> Value {
    let mut v = json!({ "when": c.text, "holds": c.holds });
    if !c.facts.is_empty() {
        v["read"] = json!(c.facts);
    }
    if !c.parts.is_empty() {
        v["join"] = Value::from(match c.join {
            Join::All => "all",
            Join::Any => "any",
            Join::Not => "not",
            Join::Leaf => "leaf",
        });
        v["parts"] = Value::Array(c.parts.iter().map(cond_json).collect());
    }
    v
}
