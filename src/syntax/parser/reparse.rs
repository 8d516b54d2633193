//! Parsing the next version of a text from the last one's parse: what an editor does at each
//! keystroke. A file is read declaration by declaration (`read_items`), so a parse can keep
//! where each declaration starts and ends; after an edit, the declarations before it are
//! kept as they were, those from the one before the edit on are read again, and as soon as
//! the reading reaches the start of a declaration that lies wholly after the edit, the rest
//! is the last parse's, moved by the edit's length (`shift`). A text with syntax errors is
//! read whole, as `parse` reads it, and the next version is read whole too.

use super::super::shift::Shift;
use super::*;

/// A parse, with what the next version's parse may start from.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub file: File,
    pub diags: Vec<Diagnostic>,
    /// By declaration of `file`, where it was read: `None` when the file was read whole
    /// (syntax errors, or over the limits), which leaves nothing to start from.
    pieces: Option<Vec<Piece>>,
}

/// Where one declaration was read, and what building its tree found wrong (a bad literal).
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub start: usize,
    /// The end of its pair (which may take in whitespace and comments after it): the text
    /// after it is whitespace and comments up to the next declaration.
    pub end: usize,
    pub diags: Vec<Diagnostic>,
}

impl Parsed {
    /// Parses a whole text, as `parse` does, keeping where each declaration was read.
    pub fn new(source: &str) -> Parsed {
        let scan = limits::scan(source);
        if !scan.is_empty() {
            return Parsed::whole((File::default(), scan));
        }
        match read_items(source, skip_trivia(source, 0), |_| false) {
            Some((items, pieces, _)) => Parsed::of(items, pieces),
            None => Parsed::whole(parse_whole(source)),
        }
    }

    /// The parse of `new`, the text `old` (this parse's) edited: the same tree and
    /// diagnostics as `Parsed::new(new)`, reading again only around the edit. Its trees move
    /// to the new parse, leaving this one empty, unless the new text has a syntax error: then
    /// it is read whole and this parse stays as it was.
    pub fn edit(&mut self, old: &str, new: &str) -> Parsed {
        let Some(pieces) = &self.pieces else {
            return Parsed::new(new);
        };
        let scan = limits::scan(new);
        if !scan.is_empty() {
            return Parsed::whole((File::default(), scan));
        }
        let (prefix, suffix) = unchanged(old, new);
        // Keep the declarations ending before the edit but the last of them: text typed
        // just after a declaration may continue it (`list a = x` + ` and y`).
        let touched = pieces.partition_point(|p| p.end < prefix);
        let keep = touched.saturating_sub(1);
        let from = match keep {
            0 => skip_trivia(new, 0),
            k => pieces[k].start,
        };
        // A declaration read at `at` past the edit is the one the last parse read at
        // `at - delta`, when one started there: the text from there on is the same.
        let delta = new.len() as i64 - old.len() as i64;
        let unchanged_from = new.len() - suffix;
        let resume = |at: usize| -> Option<usize> {
            if at < unchanged_from {
                return None;
            }
            let was = (at as i64 - delta) as usize;
            pieces
                .binary_search_by_key(&was, |p| p.start)
                .ok()
                .filter(|k| *k > keep)
        };
        let Some((read, read_pieces, stopped)) = read_items(new, from, |at| resume(at).is_some())
        else {
            return Parsed::new(new);
        };
        let tail_from = resume(stopped);
        let mut items = std::mem::take(&mut self.file.items);
        let mut pieces = self.pieces.take().unwrap_or_default();
        self.diags.clear();
        let tail = tail_from.map(|k| (items.split_off(k), pieces.split_off(k)));
        items.truncate(keep);
        pieces.truncate(keep);
        items.extend(read);
        pieces.extend(read_pieces);
        if let Some((mut tail_items, mut tail_pieces)) = tail {
            tail_items.shift(delta);
            for p in &mut tail_pieces {
                p.start = (p.start as i64 + delta) as usize;
                p.end = (p.end as i64 + delta) as usize;
                p.diags.shift(delta);
            }
            items.extend(tail_items);
            pieces.extend(tail_pieces);
        }
        Parsed::of(items, pieces)
    }

    fn of(items: Vec<Item>, pieces: Vec<Piece>) -> Parsed {
        let diags = pieces.iter().flat_map(|p| p.diags.clone()).collect();
        Parsed {
            file: File { items },
            diags,
            pieces: Some(pieces),
        }
    }

    fn whole((file, diags): (File, Vec<Diagnostic>)) -> Parsed {
        Parsed {
            file,
            diags,
            pieces: None,
        }
    }
}

/// How many bytes at the start and at the end the two texts share, not overlapping, each
/// ending on a character boundary of both.
fn unchanged(old: &str, new: &str) -> (usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let room = a.len().min(b.len()) - prefix;
    let mut suffix = (a.iter().rev().zip(b.iter().rev()))
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    while !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (prefix, suffix)
}

/// Reads declarations from `at` until the end of `source` or an offset where `stop` says to:
/// the trees, where each was read, and where the reading stopped. `None` at the first
/// declaration that does not parse.
pub(super) fn read_items(
    source: &str,
    mut at: usize,
    mut stop: impl FnMut(usize) -> bool,
) -> Option<(Vec<Item>, Vec<Piece>, usize)> {
    let mut b = Builder {
        offset: 0,
        diags: Vec::new(),
    };
    let (mut items, mut pieces) = (Vec::new(), Vec::new());
    while at < source.len() && !stop(at) {
        #[cfg(test)]
        tests::READ.with(|n| n.set(n.get() + 1));
        let pair = NurtureParser::parse(Rule::item_input, &source[at..])
            .ok()?
            .next()?
            .into_inner()
            .next()?;
        let end = at + pair.as_span().end();
        b.offset = at;
        items.push(b.item(pair));
        pieces.push(Piece {
            start: at,
            end,
            diags: std::mem::take(&mut b.diags),
        });
        at = skip_trivia(source, end);
    }
    Some((items, pieces, at))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Declarations read on this thread.
        pub static READ: Cell<usize> = const { Cell::new(0) };
    }

    /// `new` parsed from `old`'s parse: checked against a fresh parse, and how many
    /// declarations were read for it.
    fn edited(old: &str, new: &str) -> usize {
        let mut parsed = Parsed::new(old);
        READ.with(|n| n.set(0));
        let again = parsed.edit(old, new);
        let read = READ.with(|n| n.get());
        let fresh = Parsed::new(new);
        assert_eq!(again.file, fresh.file, "{new}");
        assert_eq!(again.diags, fresh.diags, "{new}");
        assert_eq!(
            again
                .pieces
                .as_ref()
                .map(|p| p.iter().map(|p| (p.start, p.end)).collect::<Vec<_>>()),
            fresh
                .pieces
                .as_ref()
                .map(|p| p.iter().map(|p| (p.start, p.end)).collect()),
        );
        read
    }

    fn lists(n: usize) -> String {
        (0..n)
            .map(|i| format!("list l{i} = true // {i}\n"))
            .collect()
    }

    #[test]
    fn an_edit_reads_again_only_the_declarations_around_it() {
        let old = lists(2000);
        let at = old.find("list l1000 =").unwrap() + "list l1000 =".len();
        let typed = format!("{} {}", &old[..at], &old[at..]);
        assert!(edited(&old, &typed) <= 3);
        let deleted = old.replacen("list l1000 = true // 1000\n", "", 1);
        assert!(edited(&old, &deleted) <= 3);
        let at_start = format!("\n{old}");
        assert!(edited(&old, &at_start) <= 3);
        let at_end = format!("{old}list more = false\n");
        let n = edited(&old, &at_end);
        assert!(n <= 3, "{n}");
        let in_comment = old.replacen("// 1000", "// a thousand", 1);
        assert!(edited(&old, &in_comment) <= 3);
    }

    #[test]
    fn text_typed_after_a_declaration_continues_it() {
        let old = "list a = true\n\nlist b = false\n";
        let new = "list a = true and false\n\nlist b = false\n";
        edited(old, new);
        let new = "list a = true\n\nlist b = false and\n";
        edited(old, new);
        // Two declarations made one, and one split in two.
        edited(old, "list a = true\nlist b = false\n");
        edited("list a = true and b\n", "list a = true\nlist b\n");
    }

    #[test]
    fn a_syntax_error_is_read_whole_and_the_next_version_after_it_too() {
        let old = lists(20);
        let broken = old.replacen("list l5 = true", "list l5 = = true", 1);
        let mut parsed = Parsed::new(&old);
        let again = parsed.edit(&old, &broken);
        assert!(!again.diags.is_empty());
        assert!(again.pieces.is_none());
        // The broken parse left the last one as it was.
        assert_eq!(parsed.file, Parsed::new(&old).file);
        edited(&broken, &old);
    }

    #[test]
    fn a_bad_literal_moves_with_its_declaration() {
        let old = "list a = true\npolicy { quiet hours 25:00 to 08:00 }\n";
        let new = "list a = true and true\npolicy { quiet hours 25:00 to 08:00 }\n";
        edited(old, new);
        let old = format!("{}policy {{ quiet hours 25:00 to 08:00 }}\n", lists(10));
        let new = old.replacen("list l2 = true", "list l2 = false", 1);
        assert!(edited(&old, &new) <= 3);
    }
}
