//! The event properties steps read, kept in lead state (`compile::layout::Layout::kept`):
//! written when the event that starts a run, sets a trigger off or ends a wait arrives, so
//! a step after a wait, or a run resumed from `--state`, still reads them.

use super::{EventRef, Machine};
use crate::compile::layout::KeptBy;
use crate::lang::types::Ty;
use crate::lang::value::Val;

impl Machine {
    /// Keeps, for `by`, the properties its steps read of `ev` (texts and lists interned); with no
    /// event, or another event than a slot's, the slot holds none.
    pub(super) fn keep(&mut self, lead: u32, by: KeptBy, ev: Option<EventRef<'_>>) {
        for k in 0..self.c.layout.kept.len() {
            let slot = &self.c.layout.kept[k];
            if slot.by != by {
                continue;
            }
            let v = match ev {
                Some(e) if e.event == slot.event => {
                    match e.props.get(slot.prop as usize).copied() {
                        Some(Val::PropText(i)) => {
                            let text = e.texts.get(i as usize).map_or("", |t| t.as_str());
                            Val::Sym(self.c.pools.texts.intern(text))
                        }
                        // A list is kept as its encoding, interned like a text.
                        Some(Val::PropSeq(i)) => {
                            let enc = e.texts.get(i as usize).map_or("", |t| t.as_str());
                            Val::Seq(self.c.pools.texts.intern(enc))
                        }
                        // An `int` given where a `number` is declared (a test's `48000`).
                        Some(Val::Int(i)) if slot.ty.base() == &Ty::Number => Val::Num(i as f64),
                        Some(v) => v,
                        None => Val::Missing,
                    }
                }
                _ => Val::Missing,
            };
            self.leads[lead as usize].set_kept(&self.c, k as u16, v);
        }
    }
}
