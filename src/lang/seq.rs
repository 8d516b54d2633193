//! A list value written as one text, so that lead state keeps it in one word (the text's
//! symbol, `Val::Seq`), `--state` keeps it with the other interned texts, and an event's
//! list property rides in the record's texts (`Val::PropSeq`) like a text property.
//!
//! Each item is a tag, its payload and an end: `t5:beans` (a text: its length in bytes, `:`,
//! the bytes), `i3;` (a whole number), `n2.5;` (a number, written so it reads back exactly).
//! Items follow each other with nothing between; the empty list is the empty text. One list
//! has one encoding, so two lists are equal when their encodings are. Reading an encoding
//! allocates nothing: a condition on a list stays allocation-free.

use std::fmt::Write as _;

use super::types::{Ty, Value};

/// One item of an encoded list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    Text(&'a str),
    Int(i64),
    Num(f64),
}

impl Item<'_> {
    /// The item as a number, if it is one.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Item::Int(i) => Some(i as f64),
            Item::Num(n) => Some(n),
            Item::Text(_) => None,
        }
    }
}

/// Whether input can carry a list of `ty` (an event property's type): lists of texts, whole
/// numbers and numbers, the items this encoding holds.
pub fn carried(ty: &Ty) -> bool {
    matches!(ty.base(), Ty::List(item) if matches!(**item, Ty::Str | Ty::Int | Ty::Number))
}

/// Appends a text item.
pub fn push_text(out: &mut String, s: &str) {
    let _ = write!(out, "t{}:", s.len());
    out.push_str(s);
}

/// Appends a whole-number item.
pub fn push_int(out: &mut String, i: i64) {
    let _ = write!(out, "i{i};");
}

/// Appends a number item; Rust's shortest form of a float reads back as the same float.
pub fn push_num(out: &mut String, n: f64) {
    let _ = write!(out, "n{n};");
}

/// Appends a list constant's items (texts and numbers; other values have no item), a whole
/// number as a number where the list's type `ty` says so, as the intake reads it.
pub fn push_values(out: &mut String, items: &[Value], ty: &Ty) {
    let numbers = matches!(ty.base(), Ty::List(t) if **t == Ty::Number);
    for v in items {
        match v {
            Value::Str(s) => push_text(out, s),
            Value::Int(i) if numbers => push_num(out, *i as f64),
            Value::Int(i) => push_int(out, *i),
            Value::Number(n) => push_num(out, *n),
            _ => {}
        }
    }
}

/// The items of an encoded list, in order; an encoding that does not read (never one this
/// module wrote) ends the items where it goes wrong.
pub fn items(enc: &str) -> Items<'_> {
    Items { rest: enc }
}

/// How many items an encoded list has.
pub fn len(enc: &str) -> usize {
    items(enc).count()
}

pub struct Items<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        let rest = self.rest;
        let tag = *rest.as_bytes().first()?;
        let item = match tag {
            b't' => {
                let colon = rest.find(':')?;
                let n: usize = rest[1..colon].parse().ok()?;
                let text = rest.get(colon + 1..colon + 1 + n)?;
                self.rest = &rest[colon + 1 + n..];
                return Some(Item::Text(text));
            }
            b'i' | b'n' => {
                let end = rest.find(';')?;
                let body = &rest[1..end];
                self.rest = &rest[end + 1..];
                match tag {
                    b'i' => Item::Int(body.parse().ok()?),
                    _ => Item::Num(body.parse().ok()?),
                }
            }
            _ => None?,
        };
        Some(item)
    }
}

/// Whether two items are equal as the language compares values: numbers by value, whatever
/// their kind; texts by their bytes.
pub fn item_eq(a: Item<'_>, b: Item<'_>) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_read_back_as_written() {
        let mut enc = String::new();
        push_text(&mut enc, "Hand grinder C2");
        push_text(&mut enc, "");
        push_text(&mut enc, "a;b:c t3:x «é»");
        push_int(&mut enc, -42);
        push_num(&mut enc, 0.1 + 0.2);
        push_num(&mut enc, 140.0);
        let got: Vec<Item> = items(&enc).collect();
        assert_eq!(
            got,
            [
                Item::Text("Hand grinder C2"),
                Item::Text(""),
                Item::Text("a;b:c t3:x «é»"),
                Item::Int(-42),
                Item::Num(0.1 + 0.2),
                Item::Num(140.0),
            ]
        );
        assert_eq!(len(&enc), 6);
        assert_eq!(len(""), 0);
    }

    #[test]
    fn a_damaged_encoding_ends_its_items_without_panicking() {
        for enc in ["t9:abc", "x", "t:", "tx:a", "i12", "n1.5", "iabc;", "t2:é"] {
            let _ = items(enc).count();
        }
        assert_eq!(items("i1;t9:ab").collect::<Vec<_>>(), [Item::Int(1)]);
    }

    #[test]
    fn numbers_compare_by_value_and_texts_by_bytes() {
        assert!(item_eq(Item::Int(3), Item::Num(3.0)));
        assert!(!item_eq(Item::Int(3), Item::Text("3")));
        assert!(item_eq(Item::Text("beans"), Item::Text("beans")));
    }
}
