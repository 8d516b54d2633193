//! Byte offsets (what spans hold) to and from the editor's positions: a line from 0 and a
//! column in UTF-16 code units, as the Language Server Protocol counts by default.

/// Where each line of a text starts, found once, so that each conversion is a binary search
/// and a walk along one line.
#[derive(Debug, Clone)]
pub struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines {
            starts,
            len: text.len(),
        }
    }

    /// The line (from 0) and UTF-16 column of a byte offset; an offset inside a character
    /// counts from that character's start.
    pub fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[line];
        let column: usize = text[start..]
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        (line as u32, column as u32)
    }

    /// The byte offset of a line and UTF-16 column; a column past the line's end means its
    /// end, a line past the text its end.
    pub fn offset(&self, text: &str, line: u32, column: u32) -> usize {
        let Some(&start) = self.starts.get(line as usize) else {
            return self.len;
        };
        let end = self
            .starts
            .get(line as usize + 1)
            .map_or(self.len, |e| e - 1);
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units >= column as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The number of lines.
    pub fn count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is one UTF-16 unit in two bytes; `😀` two units in four bytes.
        let text = "ab\nné😀x\n\nz";
        let lines = Lines::new(text);
        assert_eq!(lines.position(text, 0), (0, 0));
        assert_eq!(lines.position(text, 3), (1, 0));
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(text, x), (1, 4));
        assert_eq!(lines.offset(text, 1, 4), x);
        assert_eq!(lines.offset(text, 1, 2), text.find('😀').unwrap());
        assert_eq!(lines.position(text, text.len()), (3, 1));
        assert_eq!(lines.offset(text, 1, 99), text.find("\n\n").unwrap());
        assert_eq!(lines.offset(text, 9, 0), text.len());
        for offset in (0..=text.len()).filter(|o| text.is_char_boundary(*o)) {
            let (l, c) = lines.position(text, offset);
            assert_eq!(lines.offset(text, l, c), offset, "{offset}");
        }
    }
}
