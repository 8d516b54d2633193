//! Reading a file with syntax errors: cut before each line that starts with a declaration
//! word, each chunk parsed on its own, so that every broken declaration is reported, not only
//! the first, and the tree holds the declarations that did parse. A chunk's outcome depends
//! only on its text (and, for the words an error message quotes, on the next chunk's first
//! line), so the language server's next version takes unchanged chunks from the last one
//! (`reuse`) instead of parsing them again.

use super::*;
use reparse::Piece;

/// One chunk of a file with errors: where it is, and its declarations or its syntax error.
#[derive(Debug, Clone)]
pub(super) struct Chunk {
    pub start: usize,
    pub end: usize,
    pub read: Result<Vec<Piece>, Diagnostic>,
}

/// A file read chunk by chunk: its declarations, its chunks, its diagnostics.
pub(super) struct Chunked {
    pub items: Vec<Item>,
    pub chunks: Vec<Chunk>,
    pub diags: Vec<Diagnostic>,
}

/// Where the chunks of `source` start, and its length: the first line, and each later line
/// that starts with a declaration word.
fn bounds(source: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let word_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(line.len());
        if offset > 0 && DECLARATION_WORDS.contains(&&line[..word_end]) {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(source.len());
    starts
}

/// Reads `source` chunk by chunk. `reuse(start, end, next_end)` may give a chunk's outcome
/// from an earlier reading (`next_end`: where the chunk after it ends, as far as an error
/// message may look).
pub(super) fn read(
    source: &str,
    mut reuse: impl FnMut(usize, usize, usize) -> Option<(Vec<Item>, Chunk)>,
) -> Chunked {
    let bounds = bounds(source);
    let mut out = Chunked {
        items: Vec::new(),
        chunks: Vec::new(),
        diags: Vec::new(),
    };
    for (i, w) in bounds.windows(2).enumerate() {
        let (start, end) = (w[0], w[1]);
        let next_end = bounds.get(i + 2).copied().unwrap_or(end);
        let (items, chunk) =
            reuse(start, end, next_end).unwrap_or_else(|| read_chunk(source, start, end));
        match &chunk.read {
            Ok(pieces) => out
                .diags
                .extend(pieces.iter().flat_map(|p| p.diags.iter().cloned())),
            Err(d) => out.diags.push(d.clone()),
        }
        out.items.extend(items);
        out.chunks.push(chunk);
    }
    if out.diags.is_empty() {
        // Chunking found nothing wrong although the whole file failed: the whole-file error.
        if let Err(d) = parse_rule(source, source, Rule::file, 0) {
            out.diags.push(d);
        }
    }
    out
}

/// Parses one chunk of `source`.
fn read_chunk(source: &str, start: usize, end: usize) -> (Vec<Item>, Chunk) {
    #[cfg(test)]
    reparse::tests::READ.with(|n| n.set(n.get() + 1));
    let chunk = |read| Chunk { start, end, read };
    let file = match NurtureParser::parse(Rule::file, &source[start..end]) {
        Ok(mut pairs) => pairs.next().expect("the file rule always yields a pair"),
        Err(e) => return (Vec::new(), chunk(Err(syntax_error(e, source, start)))),
    };
    let mut b = Builder {
        offset: start,
        diags: Vec::new(),
    };
    let (mut items, mut pieces) = (Vec::new(), Vec::new());
    for pair in file.into_inner().filter(|p| p.as_rule() != Rule::EOI) {
        let span = pair.as_span();
        items.push(b.item(pair));
        pieces.push(Piece {
            start: start + span.start(),
            end: start + span.end(),
            diags: std::mem::take(&mut b.diags),
        });
    }
    (items, chunk(Ok(pieces)))
}
