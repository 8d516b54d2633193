//! The listing's `decisions` section: each row's condition as code and the value it gives,
//! then what `else` gives. Comparing programs reads it too, so a changed row is a change.

use super::{Ctx, Disasm};
use crate::compile::decisions::Outcome;

impl Disasm<'_> {
    pub(super) fn decisions(&mut self) {
        let c = self.c;
        if c.decisions.is_empty() {
            return;
        }
        self.section("decisions");
        for d in &c.decisions {
            self.plain(&format!("decide {}", d.name));
            for (i, r) in d.rows.iter().enumerate() {
                self.label(2, &format!("row {}: -> {}", i + 1, self.outcome(&r.value)));
                self.chunk(&r.cond, 4, Ctx::default());
            }
            self.label(2, &format!("else -> {}", self.outcome(&d.otherwise)));
        }
    }

    fn outcome(&self, o: &Outcome) -> String {
        match o {
            Outcome::Text(sym) => self.text(*sym),
            Outcome::Record(fields) => {
                let fields: Vec<String> = (fields.iter())
                    .map(|(k, v, ty)| format!("{k}: {}", self.val(*v, Self::enum_of(ty))))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
        }
    }
}
