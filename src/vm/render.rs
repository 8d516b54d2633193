//! Values as a marketer reads them: in a message (text), and in webhook fields, `set` records
//! and `nurture state --format json` (JSON). Pure functions of the program and the value.

use crate::compile::Compiled;
use crate::lang::format;
use crate::lang::seq;
use crate::lang::types::Ty;
use crate::lang::value::Val;

/// A value as a marketer reads it in a message.
pub fn text(c: &Compiled, v: Val, ty: &Ty) -> String {
    match v {
        Val::Missing => String::new(),
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Num(n) => format::number(n),
        Val::Sym(s) => c.pools.texts.get(s).to_string(),
        // A list an event brought, its items one after another: "beans, grinder".
        Val::Seq(s) => {
            let mut out = String::new();
            for (n, item) in seq::items(c.pools.texts.get(s)).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                match item {
                    seq::Item::Text(t) => out.push_str(t),
                    seq::Item::Int(i) => out.push_str(&i.to_string()),
                    seq::Item::Num(n) => out.push_str(&format::number(n)),
                }
            }
            out
        }
        Val::PropText(_) | Val::PropSeq(_) | Val::List(_) => String::new(),
        Val::Time(t) => format::instant(t),
        Val::Dur(d) => format::duration(d),
        Val::Tod(m) => format::time_of_day(m),
        Val::Enum(i) => match ty.base() {
            Ty::Enum(e) => c.enums[*e as usize]
                .get(i as usize)
                .cloned()
                .unwrap_or_default(),
            _ => i.to_string(),
        },
    }
}

/// A value as JSON: texts and enum variants by name, lists (an event's too) as arrays; the list `tags_list`
/// stands for the lead's `tags`.
pub fn json(
    c: &Compiled,
    tags: &[u32],
    tags_list: u32,
    v: Val,
    ty: Option<&Ty>,
) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Val::Missing => J::Null,
        Val::Bool(b) => J::Bool(b),
        Val::Int(i) => J::from(i),
        Val::Num(n) => serde_json::Number::from_f64(n).map_or(J::Null, J::Number),
        Val::List(l) if l == tags_list => J::Array(
            tags.iter()
                .map(|t| J::String(c.pools.texts.get(*t).to_string()))
                .collect(),
        ),
        Val::List(l) => {
            // A list of enum constants is written by their names, as the list's type says.
            let elem = match ty.map(Ty::base) {
                Some(Ty::List(e)) => Some(&**e),
                _ => None,
            };
            J::Array(
                c.pools.lists[l as usize]
                    .iter()
                    .map(|x| json(c, tags, tags_list, *x, elem))
                    .collect(),
            )
        }
        Val::Seq(s) => J::Array(
            seq::items(c.pools.texts.get(s))
                .map(|item| match item {
                    seq::Item::Text(t) => J::String(t.to_string()),
                    seq::Item::Int(i) => J::from(i),
                    seq::Item::Num(n) => serde_json::Number::from_f64(n).map_or(J::Null, J::Number),
                })
                .collect(),
        ),
        v => J::String(text(c, v, ty.unwrap_or(&Ty::Error))),
    }
}

/// A `set` action's value as the language writes it (the REPL, test traces): an enum
/// constant bare (`sql`), any other value as its JSON (`"text"`, `42`, `null`).
pub fn set_value(c: &Compiled, attr: &str, value: &serde_json::Value) -> String {
    let is_enum = c
        .attrs
        .iter()
        .find(|a| a.name == attr)
        .is_some_and(|a| matches!(a.ty.base(), Ty::Enum(_)));
    match value {
        serde_json::Value::String(name) if is_enum => name.clone(),
        v => v.to_string(),
    }
}
