//! REPL commands: the table (for `:help`, completion and hints) and the parser of one input.
//!
//! A command starts with `:`; anything else is an expression. Arguments are words separated
//! by spaces; a lead's attributes and an event's properties are written in braces, as in a
//! `test` block. `//` starts a comment line.

use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;

/// One REPL command, as `:help` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: &'static str,
    pub args: &'static str,
    pub about: &'static str,
}

pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: ":lead",
        args: "ID { attr: value, … }",
        about: "create a lead, or set its attributes (an identify)",
    },
    CommandInfo {
        name: ":event",
        args: "ID EVENT { prop: value, … }",
        about: "an event for a lead, now (a track)",
    },
    CommandInfo {
        name: ":at",
        args: "TIME",
        about: "move the clock to an RFC 3339 time, firing every timer due on the way",
    },
    CommandInfo {
        name: ":advance",
        args: "DURATION",
        about: "move the clock forward (30m, 12h, 3d, 1d12h), firing every timer due",
    },
    CommandInfo {
        name: ":show",
        args: "ID",
        about: "a lead's attributes, scores rule by rule, lists and workflow runs",
    },
    CommandInfo {
        name: ":why",
        args: "ID NAME",
        about: "why a lead has its score, is or is not in a list, or in a workflow",
    },
    CommandInfo {
        name: ":decide",
        args: "[ID] NAME",
        about: "a decision for a lead and why (a new lead for an unknown id); for every lead without ID",
    },
    CommandInfo {
        name: ":leads",
        args: "",
        about: "the session's leads and the lists they are in",
    },
    CommandInfo {
        name: ":load",
        args: "FILE",
        about: "load a campaign and replay the session's journey against it",
    },
    CommandInfo {
        name: ":reload",
        args: "",
        about: "read the campaign again and replay the journey, showing what changed",
    },
    CommandInfo {
        name: ":save",
        args: "FILE",
        about: "write the journey as Segment JSON lines that `nurture run` replays",
    },
    CommandInfo {
        name: ":trace",
        args: "on|off",
        about: "also show each input record, score changes and workflow steps",
    },
    CommandInfo {
        name: ":reset",
        args: "",
        about: "forget the leads, the journey and the clock; keep the campaign",
    },
    CommandInfo {
        name: ":help",
        args: "[COMMAND]",
        about: "this help, or one command's",
    },
    CommandInfo {
        name: ":quit",
        args: "",
        about: "leave the REPL (Ctrl-D does too)",
    },
];

pub fn info(name: &str) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// A piece of the input and its byte offset in it, so errors point at what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub text: String,
    pub at: usize,
}

impl Arg {
    pub fn span(&self) -> Span {
        Span::new(self.at, self.at + self.text.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Nothing to do: a blank line or a comment.
    Empty,
    /// A bare expression, evaluated.
    Expr(Arg),
    Lead {
        id: Arg,
        /// `{ … }`, when given.
        body: Option<Arg>,
    },
    Event {
        id: Arg,
        event: Arg,
        body: Option<Arg>,
    },
    At(Arg),
    Advance(Arg),
    Show(Arg),
    Why(Arg, Arg),
    /// `:decide [ID] NAME`.
    Decide(Option<Arg>, Arg),
    Leads,
    Load(Arg),
    Reload,
    Save(Arg),
    Trace(bool),
    Reset,
    Help(Option<Arg>),
    Quit,
}

/// Parses one input (possibly several lines, while braces were open).
/// It stays whole: one arm per REPL command.
pub fn parse(input: &str) -> Result<Command, Diagnostic> {
    let trimmed = input.trim_start();
    let start = input.len() - trimmed.len();
    if trimmed.trim_end().is_empty() || trimmed.starts_with("//") {
        return Ok(Command::Empty);
    }
    if !trimmed.starts_with(':') {
        return Ok(Command::Expr(Arg {
            text: trimmed.trim_end().to_string(),
            at: start,
        }));
    }
    let mut words = Words { input, pos: start };
    let name = words.word(false).expect("the input starts with `:`");
    let Some(cmd) = info(&name.text) else {
        let help = closest(&name.text)
            .map(|c| format!("did you mean `{c}`? `:help` lists every command"))
            .unwrap_or_else(|| "`:help` lists every command".into());
        return Err(Diagnostic::new(
            Code::Syntax,
            name.span(),
            format!("there is no command `{}`", name.text),
        )
        .with_label("unknown command")
        .with_help(help));
    };
    let usage = || format!("usage: `{} {}`", cmd.name, cmd.args);
    let missing = |what: &str, at: usize| {
        Diagnostic::new(
            Code::Syntax,
            Span::new(at, at),
            format!("`{}` needs {what}", cmd.name),
        )
        .with_label(format!("{what} here"))
        .with_help(usage())
    };
    let end = input.trim_end().len();
    let command = match cmd.name {
        ":lead" => {
            let id = words.word(true).ok_or_else(|| missing("a lead id", end))?;
            let body = words.body(cmd.name, &usage)?;
            Command::Lead { id, body }
        }
        ":event" => {
            let id = words.word(true).ok_or_else(|| missing("a lead id", end))?;
            let event = words
                .word(true)
                .ok_or_else(|| missing("an event name", end))?;
            let body = words.body(cmd.name, &usage)?;
            Command::Event { id, event, body }
        }
        ":at" => Command::At(words.word(false).ok_or_else(|| missing("a time", end))?),
        ":advance" => Command::Advance(
            words
                .word(false)
                .ok_or_else(|| missing("a duration", end))?,
        ),
        ":show" => Command::Show(words.word(false).ok_or_else(|| missing("a lead id", end))?),
        ":why" => {
            let id = words.word(false).ok_or_else(|| missing("a lead id", end))?;
            let name = words
                .word(false)
                .ok_or_else(|| missing("a score, list or workflow name", end))?;
            Command::Why(id, name)
        }
        ":decide" => {
            let first = words
                .word(false)
                .ok_or_else(|| missing("a decision name", end))?;
            match words.word(false) {
                Some(name) => Command::Decide(Some(first), name),
                None => Command::Decide(None, first),
            }
        }
        ":leads" => Command::Leads,
        ":load" => Command::Load(words.path().ok_or_else(|| missing("a file", end))?),
        ":reload" => Command::Reload,
        ":save" => Command::Save(words.path().ok_or_else(|| missing("a file", end))?),
        ":trace" => {
            let w = words
                .word(false)
                .ok_or_else(|| missing("`on` or `off`", end))?;
            match w.text.as_str() {
                "on" => Command::Trace(true),
                "off" => Command::Trace(false),
                _ => {
                    return Err(Diagnostic::new(
                        Code::Syntax,
                        w.span(),
                        "`:trace` takes `on` or `off`",
                    )
                    .with_label("not `on` or `off`"))
                }
            }
        }
        ":reset" => Command::Reset,
        ":help" => Command::Help(words.word(false)),
        ":quit" => Command::Quit,
        _ => unreachable!("every command in the table is parsed"),
    };
    if let Some(extra) = words.rest() {
        return Err(Diagnostic::new(
            Code::Syntax,
            extra.span(),
            format!("`{}` takes nothing more here", cmd.name),
        )
        .with_label("unexpected")
        .with_help(usage()));
    }
    Ok(command)
}

/// The command closest to a mistyped one.
pub fn closest(name: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c.name), c.name))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min()
        .map(|(_, n)| n)
}

struct Words<'a> {
    input: &'a str,
    pos: usize,
}

impl Words<'_> {
    fn skip_space(&mut self) {
        let rest = &self.input[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The next word: up to whitespace (or `{`, when `stop_at_brace`).
    fn word(&mut self, stop_at_brace: bool) -> Option<Arg> {
        self.skip_space();
        let rest = &self.input[self.pos..];
        let len = rest
            .find(|c: char| c.is_whitespace() || (stop_at_brace && c == '{'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        let arg = Arg {
            text: rest[..len].to_string(),
            at: self.pos,
        };
        self.pos += len;
        Some(arg)
    }

    /// A file name: a word, or a quoted name with spaces.
    fn path(&mut self) -> Option<Arg> {
        self.skip_space();
        let rest = &self.input[self.pos..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let close = quoted.find('"')?;
            let arg = Arg {
                text: quoted[..close].to_string(),
                at: self.pos + 1,
            };
            self.pos += close + 2;
            return Some(arg);
        }
        self.word(false)
    }

    /// `{ … }` to the end of the input, if there is anything left.
    fn body(&mut self, name: &str, usage: &dyn Fn() -> String) -> Result<Option<Arg>, Diagnostic> {
        self.skip_space();
        let rest = self.input[self.pos..].trim_end();
        if rest.is_empty() {
            return Ok(None);
        }
        if !rest.starts_with('{') {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            return Err(Diagnostic::new(
                Code::Syntax,
                Span::new(self.pos, self.pos + end),
                format!("`{name}` expected `{{ name: value, … }}` here"),
            )
            .with_label("expected `{`")
            .with_help(usage()));
        }
        let arg = Arg {
            text: rest.to_string(),
            at: self.pos,
        };
        self.pos += rest.len();
        Ok(Some(arg))
    }

    fn rest(&mut self) -> Option<Arg> {
        self.skip_space();
        let rest = self.input[self.pos..].trim_end();
        (!rest.is_empty()).then(|| Arg {
            text: rest.to_string(),
            at: self.pos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(text: &str, at: usize) -> Arg {
        Arg {
            text: text.into(),
            at,
        }
    }

    #[test]
    fn commands_split_into_arguments_with_offsets() {
        assert_eq!(
            parse(":event ann ebook.downloaded { title: \"x\" }").unwrap(),
            Command::Event {
                id: arg("ann", 7),
                event: arg("ebook.downloaded", 11),
                body: Some(arg("{ title: \"x\" }", 28)),
            }
        );
        assert_eq!(
            parse(":lead ann{email: \"a@b.c\"}").unwrap(),
            Command::Lead {
                id: arg("ann", 6),
                body: Some(arg("{email: \"a@b.c\"}", 9)),
            }
        );
        assert_eq!(
            parse(":why ann hot").unwrap(),
            Command::Why(arg("ann", 5), arg("hot", 9))
        );
        assert_eq!(
            parse(":save \"my journey.jsonl\"").unwrap(),
            Command::Save(arg("my journey.jsonl", 7))
        );
        assert_eq!(
            parse("  total of ann ").unwrap(),
            Command::Expr(arg("total of ann", 2))
        );
        assert_eq!(parse("// a comment").unwrap(), Command::Empty);
    }

    #[test]
    fn mistakes_point_at_the_word() {
        let d = parse(":shwo ann").unwrap_err();
        assert_eq!(d.span, Span::new(0, 5));
        assert_eq!(
            d.help.as_deref(),
            Some("did you mean `:show`? `:help` lists every command")
        );
        let d = parse(":trace maybe").unwrap_err();
        assert_eq!(d.span, Span::new(7, 12));
        let d = parse(":show ann bob").unwrap_err();
        assert_eq!(d.span, Span::new(10, 13));
        let d = parse(":lead ann email").unwrap_err();
        assert_eq!(d.span, Span::new(10, 15));
        assert!(parse(":why ann")
            .unwrap_err()
            .message
            .contains("a score, list or workflow name"));
    }
}
