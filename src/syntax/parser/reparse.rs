//! Parsing the next version of a text from the last one's parse: what an editor does at each
//! keystroke.
//!
//! A file that parses is read declaration by declaration (`read_items`), so its parse keeps
//! where each declaration starts and ends. After an edit, the declarations before it are kept
//! as they were, those from the one before the edit on are read again, and as soon as the
//! reading reaches the start of a declaration that lies wholly after the edit, the rest is the
//! last parse's, moved by the edit's length (`shift`). A file with a syntax error is read
//! chunk by chunk (`chunks`), and the chunks the edit left alone are taken from the last
//! parse, whichever way it was read.

use super::super::shift::Shift;
use super::chunks::{self, Chunk};
use super::*;

/// A parse, with what the next version's parse may start from.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub file: File,
    pub diags: Vec<Diagnostic>,
    reading: Reading,
}

/// How a text was read.
#[derive(Debug, Clone, Default)]
enum Reading {
    /// Not at all: it is over the limits (`limits::scan`).
    #[default]
    Nothing,
    /// Declaration by declaration, each of `file.items` in turn: it parses.
    Items(Vec<Piece>),
    /// Chunk by chunk: it has a syntax error. `file.items` are the chunks' declarations.
    Chunks(Vec<Chunk>),
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

impl Piece {
    fn shifted(&self, by: i64) -> Piece {
        let mut p = self.clone();
        p.start = (p.start as i64 + by) as usize;
        p.end = (p.end as i64 + by) as usize;
        p.diags.shift(by);
        p
    }
}

/// What is the same in two versions of a text: how many bytes at the start, how many at the
/// end, and how much longer the new one is.
#[derive(Clone, Copy)]
struct Same {
    prefix: usize,
    suffix: usize,
    delta: i64,
}

impl Same {
    /// Where a place of the new text at or after the edit was in the old one, if the text
    /// from there to the end is unchanged.
    fn was(self, at: usize, new_len: usize) -> Option<usize> {
        (at >= new_len - self.suffix).then(|| (at as i64 - self.delta) as usize)
    }
}

impl Parsed {
    /// Parses a whole text, as `parse` does, keeping how it was read.
    pub fn new(source: &str) -> Parsed {
        let scan = limits::scan(source);
        if !scan.is_empty() {
            return Parsed::over_limits(scan);
        }
        match read_items(source, skip_trivia(source, 0), |_| false) {
            Some((items, pieces, _)) => Parsed::of_items(items, pieces),
            None => Parsed::of_chunks(chunks::read(source, |_, _, _| None)),
        }
    }

    /// The parse of `new`, the text `old` (this parse's) edited: the same tree and
    /// diagnostics as `Parsed::new(new)`, reading again only around the edit. When the new
    /// text parses, this parse's trees move to the new one, leaving this one empty; when it
    /// has a syntax error, this parse stays as it was.
    pub fn edit(&mut self, old: &str, new: &str) -> Parsed {
        let scan = limits::scan(new);
        if !scan.is_empty() {
            return Parsed::over_limits(scan);
        }
        let (prefix, suffix) = unchanged(old, new);
        let same = Same {
            prefix,
            suffix,
            delta: new.len() as i64 - old.len() as i64,
        };
        if matches!(self.reading, Reading::Nothing) {
            return Parsed::new(new);
        }
        if let Some(parsed) = self.edit_items(new, same) {
            return parsed;
        }
        self.edit_chunks(old, new, same)
    }

    /// `edit` when the new text parses: `None` when it does not.
    fn edit_items(&mut self, new: &str, same: Same) -> Option<Parsed> {
        // The last reading's declarations, and the chunks it could not read (gaps).
        let (pieces, gaps): (Vec<&Piece>, Vec<&Chunk>) = match &self.reading {
            Reading::Nothing => return None,
            Reading::Items(pieces) => (pieces.iter().collect(), Vec::new()),
            Reading::Chunks(chunks) => (
                (chunks.iter())
                    .filter_map(|c| c.read.as_ref().ok())
                    .flatten()
                    .collect(),
                chunks.iter().filter(|c| c.read.is_err()).collect(),
            ),
        };
        // Keep the declarations ending before the edit but the last of them: text typed
        // just after a declaration may continue it (`list a = x` + ` and y`).
        let touched = pieces.partition_point(|p| p.end < same.prefix);
        let keep = touched.saturating_sub(1);
        let from = match keep {
            0 => skip_trivia(new, 0),
            k => pieces[k].start,
        };
        // A syntax error the edit left before `from` is still there.
        if gaps.iter().any(|g| g.start < from) {
            return None;
        }
        let last_gap = gaps.iter().map(|g| g.start).max();
        // A declaration read at `at` past the edit is the one the last parse read where
        // `at` was, when one started there: the text from there on is the same (and has no
        // syntax error).
        let resume = |at: usize| -> Option<usize> {
            let was = same.was(at, new.len())?;
            if last_gap.is_some_and(|g| g >= was) {
                return None;
            }
            (pieces.binary_search_by_key(&was, |p| p.start).ok()).filter(|k| *k > keep)
        };
        let (read, read_pieces, stopped) = read_items(new, from, |at| resume(at).is_some())?;
        // Stopped before the end: at a declaration to take the rest from.
        let tail_from = resume(stopped);
        let mut kept: Vec<Piece> = pieces[..keep].iter().map(|p| (*p).clone()).collect();
        kept.extend(read_pieces);
        let tail: Vec<Piece> = tail_from.map_or(Vec::new(), |k| {
            (pieces[k..].iter())
                .map(|p| p.shifted(same.delta))
                .collect()
        });
        let mut items = std::mem::take(&mut self.file.items);
        let mut tail_items = tail_from.map_or(Vec::new(), |k| items.split_off(k));
        items.truncate(keep);
        items.extend(read);
        tail_items.shift(same.delta);
        items.extend(tail_items);
        kept.extend(tail);
        self.reading = Reading::Nothing;
        self.diags.clear();
        Some(Parsed::of_items(items, kept))
    }

    /// `edit` when the new text has a syntax error: chunk by chunk, each chunk the edit left
    /// alone (and the first line of the next, which an error message may quote) taken from
    /// the last reading, moved.
    fn edit_chunks(&self, old: &str, new: &str, same: Same) -> Parsed {
        // Where each of the last reading's chunks or declarations starts, and its items.
        let offsets = item_offsets(&self.reading);
        // An error message may name a line ("opened on line 12"): after an edit that added
        // or removed lines, the errors after it are found again.
        let lines = |t: &str, suffix: usize| t[same.prefix..t.len() - suffix].matches('\n').count();
        let moved_lines = lines(old, same.suffix) != lines(new, same.suffix);
        let reuse = |start: usize, end: usize, next_end: usize| {
            let (was_start, was_end, by) = if next_end <= same.prefix {
                (start, end, 0)
            } else {
                let was = same.was(start, new.len())?;
                (was, (end as i64 - same.delta) as usize, same.delta)
            };
            let (range, read) = match &self.reading {
                Reading::Nothing => return None,
                Reading::Items(pieces) => {
                    let k = pieces.binary_search_by_key(&was_start, |p| p.start).ok()?;
                    let after = k + pieces[k..].partition_point(|p| p.start < was_end);
                    let ends_there = match pieces.get(after) {
                        Some(p) => p.start == was_end,
                        None => was_end == old.len(),
                    };
                    ends_there.then_some(())?;
                    (k..after, Ok(pieces[k..after].to_vec()))
                }
                Reading::Chunks(chunks) => {
                    let c = chunks.binary_search_by_key(&was_start, |c| c.start).ok()?;
                    (chunks[c].end == was_end).then_some(())?;
                    (offsets[c]..offsets[c + 1], chunks[c].read.clone())
                }
            };
            if read.is_err() && by != 0 && moved_lines {
                return None;
            }
            let mut items = self.file.items[range].to_vec();
            items.shift(by);
            let read = match read {
                Ok(pieces) => Ok(pieces.iter().map(|p| p.shifted(by)).collect()),
                Err(mut d) => {
                    d.shift(by);
                    Err(d)
                }
            };
            Some((items, Chunk { start, end, read }))
        };
        Parsed::of_chunks(chunks::read(new, reuse))
    }

    fn of_items(items: Vec<Item>, pieces: Vec<Piece>) -> Parsed {
        let diags = pieces.iter().flat_map(|p| p.diags.clone()).collect();
        Parsed {
            file: File { items },
            diags,
            reading: Reading::Items(pieces),
        }
    }

    fn of_chunks(c: chunks::Chunked) -> Parsed {
        Parsed {
            file: File { items: c.items },
            diags: c.diags,
            reading: Reading::Chunks(c.chunks),
        }
    }

    fn over_limits(diags: Vec<Diagnostic>) -> Parsed {
        Parsed {
            file: File::default(),
            diags,
            reading: Reading::Nothing,
        }
    }
}

/// For a chunked reading, where each chunk's declarations start in `file.items` (and, last,
/// how many there are); empty otherwise.
fn item_offsets(reading: &Reading) -> Vec<usize> {
    let Reading::Chunks(chunks) = reading else {
        return Vec::new();
    };
    let mut offsets = vec![0];
    for c in chunks {
        let n = c.read.as_ref().map_or(0, Vec::len);
        offsets.push(offsets.last().copied().unwrap_or(0) + n);
    }
    offsets
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
        /// Declarations and chunks read on this thread.
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
        assert_eq!(places(&again), places(&fresh));
        read
    }

    /// Where the reading found each declaration or chunk.
    fn places(p: &Parsed) -> Vec<(usize, usize)> {
        match &p.reading {
            Reading::Nothing => Vec::new(),
            Reading::Items(pieces) => pieces.iter().map(|p| (p.start, p.end)).collect(),
            Reading::Chunks(chunks) => (chunks.iter())
                .flat_map(|c| {
                    let inner = c.read.as_ref().map_or(Vec::new(), |p| p.to_vec());
                    std::iter::once((c.start, c.end))
                        .chain(inner.into_iter().map(|p| (p.start, p.end)))
                })
                .collect(),
        }
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
    fn a_syntax_error_is_read_chunk_by_chunk_and_only_the_edited_chunks_again() {
        let old = lists(2000);
        let broken = old.replacen("list l500 = true", "list l500 = = true", 1);
        let mut parsed = Parsed::new(&old);
        READ.with(|n| n.set(0));
        let again = parsed.edit(&old, &broken);
        // Two declarations tried, two chunks read (the declaration before the edit's too).
        let read = READ.with(|n| n.get());
        assert!(read <= 5, "{read}");
        assert_eq!(again.diags.len(), 1);
        assert!(matches!(again.reading, Reading::Chunks(_)));
        // The broken parse left the last one as it was.
        assert_eq!(parsed.file, Parsed::new(&old).file);
        edited(&old, &broken);
        // Typing on in the broken declaration, then a second error, then mending both.
        let worse = broken.replacen("list l500 = = true", "list l500 = = tru", 1);
        let twice = worse.replacen("list l1500 = true", "list l1500 = ) true", 1);
        edited(&broken, &worse);
        edited(&worse, &twice);
        edited(&twice, &worse);
        edited(&worse, &old);
        edited(&twice, &old);
        edited(
            &twice,
            &twice.replacen("list l10 = true", "list l10 = false", 1),
        );
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
