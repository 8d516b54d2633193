//! An event stream read line by line in bounded memory.
//!
//! `BufRead::read_until` holds a whole line before anyone can look at its length, so a
//! stream with a 1.5 GB line costs 1.5 GB. `Lines` keeps at most `intake::MAX_LINE` bytes of
//! a line; the rest of a longer line is read and dropped as it streams, and the line is
//! reported as too long, with its number and the offset after it, so a reader that resumes
//! can record where it is.
//!
//! A line is what the intake reads: its bytes without the line break (the `\n`, and any `\r`
//! right before it). Exactly the lines whose bytes so trimmed are longer than `MAX_LINE` are
//! too long, which is the intake's own rule: reject them with `intake::Problem::TooLong` (and count
//! them with `Engine::reject_external`), or, when `blank`, skip them as the engine skips
//! blank lines.
//!
//! ```
//! use nurture::runtime::lines::{Lines, Text};
//! let input: &[u8] = b"{\"a\":1}\r\nsecond";
//! let mut lines = Lines::new(input);
//! let first = lines.next_line().unwrap().unwrap();
//! assert_eq!((first.number, first.end), (1, 9));
//! assert!(matches!(first.text, Text::Bytes(b"{\"a\":1}")));
//! let second = lines.next_line().unwrap().unwrap();
//! assert_eq!((second.number, second.end), (2, 15));
//! assert!(lines.next_line().unwrap().is_none());
//! ```

use super::intake::MAX_LINE;
use std::io::{self, BufRead};

/// Reads lines from any `BufRead`, holding at most `MAX_LINE` bytes of one.
#[derive(Debug)]
pub struct Lines<R> {
    reader: R,
    /// The line being read: its first bytes, up to the limit.
    buf: Vec<u8>,
    limit: usize,
    /// Lines read so far (the number of the last one), and bytes read so far.
    line: u64,
    offset: u64,
}

/// One line, as `Lines::next_line` yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// Its number: one more than the line before (the first is 1, or one more than the line
    /// `Lines::resume` was given).
    pub number: u64,
    /// The byte offset just after it, its `\n` included: where reading resumes.
    pub end: u64,
    pub text: Text<'a>,
}

/// What a line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text<'a> {
    /// Its bytes, without the line break: at most `MAX_LINE` of them. (They may not be
    /// UTF-8; that is for the caller to find out.)
    Bytes(&'a [u8]),
    /// A line longer than `MAX_LINE` (line break excluded), read to its end but not kept.
    TooLong {
        /// Its first `MAX_LINE` bytes (for a reject record to quote the start of).
        start: &'a [u8],
        /// Its length in bytes, line break excluded.
        len: u64,
        /// Whether it is all ASCII whitespace: a blank line, which the engine skips rather
        /// than rejects whatever its length.
        blank: bool,
    },
}

impl<R: BufRead> Lines<R> {
    /// Lines from the start of a stream.
    pub fn new(reader: R) -> Lines<R> {
        Lines::resume(reader, 0, 0)
    }

    /// Lines from a stream already positioned after `line` lines and `offset` bytes (as a
    /// resumed run records them): the next line is number `line + 1`, and offsets count on
    /// from `offset`.
    pub fn resume(reader: R, line: u64, offset: u64) -> Lines<R> {
        Lines {
            reader,
            buf: Vec::new(),
            limit: MAX_LINE,
            line,
            offset,
        }
    }

    /// The same reader with another limit than `MAX_LINE` (for tests).
    pub fn with_limit(mut self, limit: usize) -> Lines<R> {
        self.limit = limit;
        self
    }

    /// The number of the last line read (or the line it resumed after).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The bytes read so far (from where it resumed, plus that offset).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The reader underneath (to mark where it stands, say).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The memory kept for a line: never more than the limit.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The next line, or `None` at the end of the stream. A last line with no `\n` is a
    /// line; an empty stream, or one ending in `\n`, has no line after that.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        // Bytes of the line (before its `\n`) read so far, and whether one past the limit
        // is not a `\r` (so the line is too long however it ends).
        let mut len = 0u64;
        let mut over = false;
        // Whether the bytes read and not kept are all ASCII whitespace.
        let mut blank_rest = true;
        let mut newline = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            let (part, used) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    newline = true;
                    (&chunk[..i], i + 1)
                }
                None => (chunk, chunk.len()),
            };
            let keep = part.len().min(self.limit - self.buf.len());
            if keep > 0 {
                reserve_within(&mut self.buf, keep, self.limit);
                self.buf.extend_from_slice(&part[..keep]);
            }
            let dropped = &part[keep..];
            if !over && dropped.iter().any(|&b| b != b'\r') {
                over = true;
            }
            if over && blank_rest {
                blank_rest = dropped.iter().all(u8::is_ascii_whitespace);
            }
            len += part.len() as u64;
            self.reader.consume(used);
            self.offset += used as u64;
            if newline {
                break;
            }
        }
        if len == 0 && !newline {
            return Ok(None);
        }
        self.line += 1;
        let text = if over {
            Text::TooLong {
                start: &self.buf,
                len,
                blank: blank_rest && self.buf.iter().all(u8::is_ascii_whitespace),
            }
        } else {
            // Past the limit there were only `\r`s, trimmed with the others before the `\n`.
            let end = self
                .buf
                .iter()
                .rposition(|&b| b != b'\r')
                .map_or(0, |i| i + 1);
            Text::Bytes(&self.buf[..end])
        };
        Ok(Some(Line {
            number: self.line,
            end: self.offset,
            text,
        }))
    }
}

/// Makes room for `more` bytes without the capacity going past `limit` (`Vec`'s doubling
/// would).
fn reserve_within(buf: &mut Vec<u8>, more: usize, limit: usize) {
    let needed = buf.len() + more;
    if needed > buf.capacity() {
        let target = (buf.capacity() * 2).clamp(needed, limit.max(needed));
        buf.reserve_exact(target - buf.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    /// Every line of `input` with a limit of `limit` bytes, as owned values.
    /// A line as owned values: number, end, and the bytes or (start, length, blank).
    type Owned = (u64, u64, Result<Vec<u8>, (Vec<u8>, u64, bool)>);

    fn all(input: &[u8], limit: usize) -> Vec<Owned> {
        // A tiny buffer, so lines span many reads.
        let mut lines = Lines::new(BufReader::with_capacity(3, input)).with_limit(limit);
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            let text = match l.text {
                Text::Bytes(b) => Ok(b.to_vec()),
                Text::TooLong { start, len, blank } => Err((start.to_vec(), len, blank)),
            };
            out.push((l.number, l.end, text));
        }
        assert!(lines.capacity() <= limit.max(1), "{}", lines.capacity());
        out
    }

    #[test]
    fn lines_are_split_at_newlines_with_their_offsets() {
        let got = all(b"ab\ncd\r\n\nlast", 10);
        assert_eq!(
            got,
            vec![
                (1, 3, Ok(b"ab".to_vec())),
                (2, 7, Ok(b"cd".to_vec())),
                (3, 8, Ok(vec![])),
                (4, 12, Ok(b"last".to_vec())),
            ]
        );
        assert_eq!(all(b"", 10), vec![]);
        assert_eq!(all(b"x\n", 10), vec![(1, 2, Ok(b"x".to_vec()))]);
        assert_eq!(all(b"\n", 10), vec![(1, 1, Ok(vec![]))]);
    }

    #[test]
    fn a_line_over_the_limit_is_too_long_and_the_next_is_read() {
        let got = all(b"0123456789\n0123456789A\nok\n", 10);
        assert_eq!(got[0], (1, 11, Ok(b"0123456789".to_vec())));
        assert_eq!(got[1], (2, 23, Err((b"0123456789".to_vec(), 11, false))));
        assert_eq!(got[2], (3, 26, Ok(b"ok".to_vec())));
        // A last line with no newline, too long.
        let got = all(b"0123456789AB", 10);
        assert_eq!(got, vec![(1, 12, Err((b"0123456789".to_vec(), 12, false)))]);
    }

    #[test]
    fn line_breaks_count_as_the_intake_counts_them() {
        // `\r`s before the `\n` are part of the line break, past the limit too…
        let got = all(b"0123456789\r\r\r\nx", 10);
        assert_eq!(got[0], (1, 14, Ok(b"0123456789".to_vec())));
        // …but not in the middle of a line.
        let got = all(b"0123456789\rx\n", 10);
        assert_eq!(got[0], (1, 13, Err((b"0123456789".to_vec(), 12, false))));
        let got = all(b"012345678\r\r\n", 10);
        assert_eq!(got[0], (1, 12, Ok(b"012345678".to_vec())));
    }

    #[test]
    fn a_long_blank_line_says_so() {
        let got = all(b"  \t       \t  \n", 10);
        assert_eq!(got[0], (1, 14, Err((b"  \t       ".to_vec(), 13, true))));
        let got = all(b"           x\n", 10);
        assert!(matches!(got[0].2, Err((_, 12, false))));
    }

    #[test]
    fn a_resumed_reader_counts_on() {
        let mut lines = Lines::resume(&b"a\nb\n"[..], 41, 1000);
        let l = lines.next_line().unwrap().unwrap();
        assert_eq!((l.number, l.end), (42, 1002));
        let l = lines.next_line().unwrap().unwrap();
        assert_eq!((l.number, l.end), (43, 1004));
        assert!(lines.next_line().unwrap().is_none());
        assert_eq!((lines.line(), lines.offset()), (43, 1004));
    }

    /// 100 MiB with no newline, then a newline and a short line.
    struct Flood {
        left: u64,
        tail: &'static [u8],
    }

    impl Read for Flood {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left > 0 {
                let n = (buf.len() as u64).min(self.left) as usize;
                buf[..n].fill(b'a');
                self.left -= n as u64;
                return Ok(n);
            }
            let n = buf.len().min(self.tail.len());
            buf[..n].copy_from_slice(&self.tail[..n]);
            self.tail = &self.tail[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_100_mib_line_is_skipped_in_bounded_memory() {
        let flood = 100u64 << 20;
        let input = Flood {
            left: flood,
            tail: b"\n{\"ok\":true}\n",
        };
        let mut lines = Lines::new(BufReader::with_capacity(1 << 16, input));
        let l = lines.next_line().unwrap().unwrap();
        assert_eq!((l.number, l.end), (1, flood + 1));
        match l.text {
            Text::TooLong { start, len, blank } => {
                assert_eq!((start.len(), len, blank), (MAX_LINE, flood, false));
            }
            other => panic!("{other:?}"),
        }
        // Never more than one allowed line's worth kept.
        assert!(lines.capacity() <= MAX_LINE, "{}", lines.capacity());
        let l = lines.next_line().unwrap().unwrap();
        assert_eq!(l.text, Text::Bytes(b"{\"ok\":true}"));
        assert_eq!((l.number, l.end), (2, flood + 13));
        assert!(lines.next_line().unwrap().is_none());
        assert!(lines.capacity() <= MAX_LINE);
    }

    /// What `read_until(b'\n')` and the intake's rule make of the same input: each line
    /// trimmed of `\n` and `\r`s, too long past `limit`.
    fn oracle(input: &[u8], limit: usize) -> Vec<Owned> {
        let mut reader = input;
        let (mut out, mut line, mut offset) = (Vec::new(), 0, 0);
        loop {
            let mut buf = Vec::new();
            let n = reader.read_until(b'\n', &mut buf).unwrap();
            if n == 0 {
                break;
            }
            line += 1;
            offset += n as u64;
            let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let end = raw.iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
            let text = if end <= limit {
                Ok(raw[..end].to_vec())
            } else {
                let blank = raw.iter().all(u8::is_ascii_whitespace);
                Err((raw[..limit].to_vec(), raw.len() as u64, blank))
            };
            out.push((line, offset, text));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn it_reads_as_read_until_does(
            input in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b' ', b'\r', b'\n', 0xff]), 0..64),
            limit in 0usize..6,
        ) {
            proptest::prop_assert_eq!(all(&input, limit), oracle(&input, limit));
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_whole() {
        let mut input = vec![b'x'; MAX_LINE];
        input.extend_from_slice(b"\r\n");
        let mut lines = Lines::new(&input[..]);
        let l = lines.next_line().unwrap().unwrap();
        assert!(matches!(l.text, Text::Bytes(b) if b.len() == MAX_LINE));
        assert_eq!(lines.capacity(), MAX_LINE);
    }
}
