//! Byte-offset spans. Line and column are computed only when a diagnostic is rendered.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn from_pest(span: pest::Span<'_>) -> Span {
        Span::new(span.start(), span.end())
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Line and column (both 1-based, column in characters) of a byte offset.
pub fn line_col(source: &str, offset: u32) -> (usize, usize) {
    let offset = (offset as usize).min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Lines and columns of many offsets in one text: where each line starts, found once, so each
/// lookup is a binary search and a count along one line instead of a scan from the start.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// The byte offset where each line starts, and the characters before it.
    starts: Vec<(usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![(0, 0)];
        let mut chars = 0;
        let mut from = 0;
        for (i, _) in text.match_indices('\n') {
            chars += text[from..=i].chars().count();
            from = i + 1;
            starts.push((from, chars));
        }
        LineIndex { text, starts }
    }

    /// The line (from 0), where it starts, and the characters before that.
    fn line_of(&self, offset: usize) -> (usize, usize, usize) {
        let line = self.starts.partition_point(|(s, _)| *s <= offset) - 1;
        let (start, chars) = self.starts[line];
        (line, start, chars)
    }

    /// As `line_col`: line and column, both from 1, the column in characters.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, (offset as usize).min(self.text.len()));
        let (line, start, _) = self.line_of(offset);
        (line + 1, self.text[start..offset].chars().count() + 1)
    }

    /// The characters before a byte offset.
    pub fn char_offset(&self, offset: usize) -> usize {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let (_, start, chars) = self.line_of(offset);
        chars + self.text[start..offset].chars().count()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "ab\ncdé\nf";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 7), (2, 4));
        assert_eq!(line_col(src, 8), (3, 1));
    }

    #[test]
    fn the_line_index_agrees_with_line_col() {
        for src in ["", "ab\ncdé\nf", "\n\n", "é\nü\n\nxyz", "no newline"] {
            let index = LineIndex::new(src);
            for offset in 0..=src.len() as u32 + 2 {
                assert_eq!(
                    index.line_col(offset),
                    line_col(src, offset),
                    "{src:?} {offset}"
                );
                let b = floor_char_boundary(src, (offset as usize).min(src.len()));
                assert_eq!(index.char_offset(offset as usize), src[..b].chars().count());
            }
        }
    }
}
