//! The REPL: a marketer's dry run of a campaign, one lead and one event at a time.
//!
//! A [`Session`] takes one command (or one expression) as text and answers with text; it does
//! no terminal I/O, so everything it does can be tested without a terminal. The rustyline front
//! end in `cli::repl` is a thin loop over it; with standard input not a terminal the same loop
//! reads commands line by line, so a journey script can run in CI.
//!
//! - `commands`: parsing a command line, and the table of commands for help and completion.
//! - `session`: the session: campaign, virtual clock, leads, the journey so far, replays.
//! - `eval`: bare expressions (`total of ann`, `ann in hot`).
//! - `print`: how actions, `:show` and `:why` look (the numbers come from `inspect`).
//! - `helper`: completion, highlighting, hints and multi-line input for rustyline.

pub mod commands;
pub mod decide;
pub mod eval;
pub mod helper;
pub mod print;
pub mod session;

pub use session::{Place, Reply, Session};

/// Colours for terminal output; plain text when off. Only SGR codes, so the text keeps its
/// display width (rustyline's highlighter needs that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

/// The SGR codes the REPL uses.
pub mod sgr {
    pub const DIM: &str = "2";
    pub const BOLD: &str = "1";
    pub const RED: &str = "31";
    pub const GREEN: &str = "32";
    pub const YELLOW: &str = "33";
    pub const BLUE: &str = "34";
    pub const MAGENTA: &str = "35";
    pub const CYAN: &str = "36";
    pub const BOLD_GREEN: &str = "1;32";
    pub const BOLD_CYAN: &str = "1;36";
    pub const BOLD_MAGENTA: &str = "1;35";
}

impl Style {
    pub fn plain() -> Style {
        Style { color: false }
    }

    /// `text` in the colour `code` (an SGR parameter such as `"1;32"`), when colour is on.
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}
