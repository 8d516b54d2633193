//! What the machine says: actions emitted with their ids, message templates rendered, values
//! as text and JSON.

use super::cycle::Cycle;
use super::Machine;
use crate::compile::bytecode::{Chunk, Op};
use crate::compile::program::{Data, Template, TemplatePart};
use crate::lang::hash::Fnv1a;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use crate::vm::action::{Action, ActionKind, Decided, Source};
use crate::vm::render;

impl Machine {
    /// Emits an action, its id a hash of the campaign, the lead's own action count, the lead,
    /// the time and what the action is (`salt`: the workflow and step, or the trigger, or the
    /// workflow that converted): a lead's ids depend on its own input only.
    pub(super) fn emit(&mut self, cy: &mut Cycle<'_>, kind: ActionKind, source: Source, salt: u64) {
        self.emit_with(cy, kind, source, salt, Vec::new(), None);
    }

    /// `emit`, with the action's `with { … }` data and the decision that chose its template.
    pub(super) fn emit_with(
        &mut self,
        cy: &mut Cycle<'_>,
        kind: ActionKind,
        source: Source,
        salt: u64,
        data: Vec<(String, serde_json::Value)>,
        decision: Option<Decided>,
    ) {
        if !kind.is_membership() {
            self.stats.actions += 1;
        }
        let lead = self.lead_ids.compact(cy.lead).clone();
        let at = self.c.layout.sequence;
        let l = &mut self.leads[cy.lead as usize];
        let sequence = l.word(at).wrapping_add(1);
        l.set_word(at, sequence);
        let mut h = Fnv1a::default();
        h.write(&self.campaign_hash.to_le_bytes());
        h.write(&sequence.to_le_bytes());
        h.write(lead.as_bytes());
        h.write(&self.now.to_le_bytes());
        h.write(&salt.to_le_bytes());
        h.write(kind.name().as_bytes());
        if let ActionKind::Entered { list } | ActionKind::Exited { list } = &kind {
            h.write(list.as_bytes());
        }
        cy.sink.action(Action {
            at: self.now,
            lead,
            id: h.finish(),
            kind,
            source,
            data,
            decision,
        });
    }

    /// Data fields evaluated for a lead now, as JSON: values by their types (numbers stay
    /// numbers, a missing value is `null`), texts built with `{…}` rendered.
    pub(super) fn data(
        &mut self,
        lead: u32,
        fields: &[(String, Data)],
        enrolled: Option<i64>,
    ) -> Vec<(String, serde_json::Value)> {
        let mut out = Vec::with_capacity(fields.len());
        for (k, d) in fields {
            let v = match d {
                Data::Value(chunk, ty) => {
                    self.fresh_scores(lead, chunk, ty);
                    let v = self.eval_chunk(lead, chunk, None, enrolled, false);
                    self.json(lead, v, Some(ty))
                }
                Data::Text(t) => serde_json::Value::String(self.render(lead, t, enrolled)),
            };
            out.push((k.clone(), v));
        }
        out
    }

    /// Brings the scores up to the clock when a value may read them.
    fn fresh_scores(&self, lead: u32, chunk: &Chunk, ty: &Ty) {
        if matches!(ty.base(), Ty::Number) || chunk.ops.iter().any(|o| matches!(o, Op::Score(_))) {
            self.compute_scores(lead, self.now);
        }
    }

    pub(super) fn render(&mut self, lead: u32, t: &Template, enrolled: Option<i64>) -> String {
        let mut out = String::new();
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => out.push_str(s),
                TemplatePart::Value(chunk, ty) => {
                    self.fresh_scores(lead, chunk, ty);
                    let v = self.eval_chunk(lead, chunk, None, enrolled, false);
                    out.push_str(&self.text_of(v, ty));
                }
            }
        }
        out
    }

    /// A value as a marketer reads it in a message (`render::text`).
    pub fn text_of(&self, v: Val, ty: &Ty) -> String {
        render::text(&self.c, v, ty)
    }

    /// A value as JSON (`render::json`), the lead's tags for the tags list.
    pub fn json(&self, lead: u32, v: Val, ty: Option<&Ty>) -> serde_json::Value {
        render::json(&self.c, self.leads.tags(lead), self.tags_list, v, ty)
    }
}
