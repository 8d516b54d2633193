//! What makes the REPL pleasant on a terminal: tab completion (commands, keywords, events and
//! their properties, attributes, lead ids, score, list and workflow names), syntax
//! highlighting from the logos lexer, hints, and multi-line input while braces are open.
//!
//! The logic is in plain functions over a [`Vocabulary`] (tested without a terminal);
//! The command line's `ReplHelper` plugs them into rustyline.

use super::commands::COMMANDS;
use super::session::Session;
use super::{sgr, Style};
use crate::lang::format;
use crate::syntax::lexer::{self, Token};

/// The names the session knows, for completion, hints and highlighting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    pub leads: Vec<String>,
    /// Each event with its properties (name, type).
    pub events: Vec<(String, Vec<(String, String)>)>,
    /// Each attribute with its type.
    pub attrs: Vec<(String, String)>,
    pub scores: Vec<String>,
    pub lists: Vec<String>,
    pub workflows: Vec<String>,
    /// `decide` tables.
    pub decisions: Vec<String>,
    /// Enum values, for attribute and property values.
    pub variants: Vec<String>,
    pub clock: Option<String>,
}

impl Vocabulary {
    pub fn of(s: &Session) -> Vocabulary {
        let clock = s.clock().map(format::instant);
        let Some(c) = &s.campaign else {
            return Vocabulary {
                clock,
                ..Vocabulary::default()
            };
        };
        let p = &c.program;
        Vocabulary {
            leads: c.machine.lead_id_list(),
            events: p
                .events
                .iter()
                .map(|e| {
                    let props = e
                        .props
                        .iter()
                        .map(|x| (x.name.clone(), p.describe(&x.ty)))
                        .collect();
                    (e.name.clone(), props)
                })
                .collect(),
            attrs: p
                .attrs
                .iter()
                .map(|a| (a.name.clone(), p.describe(&a.ty)))
                .collect(),
            scores: p.scores.iter().map(|x| x.name.clone()).collect(),
            lists: p.lists.iter().map(|x| x.name.clone()).collect(),
            workflows: p.workflows.iter().map(|x| x.name.clone()).collect(),
            decisions: p.decisions.iter().map(|x| x.name.clone()).collect(),
            variants: p.enums.iter().flat_map(|e| e.variants.clone()).collect(),
            clock,
        }
    }

    fn event(&self, name: &str) -> Option<&[(String, String)]> {
        self.events
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_slice())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '@')
}

/// What to complete at `pos`: where the word being typed starts, and the candidates for it.
pub fn complete(v: &Vocabulary, line: &str, pos: usize) -> (usize, Vec<String>) {
    let pos = pos.min(line.len());
    let start = line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &line[start..pos];
    let before = &line[..start];
    let words: Vec<&str> = before.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let names = |xs: &[String]| xs.to_vec();
    let event_names = || v.events.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    if line.trim_start().starts_with(':') {
        let Some(cmd) = words.first() else {
            out = COMMANDS.iter().map(|c| c.name.to_string()).collect();
            return (start, filter(out, word));
        };
        let brace = before.rfind('{');
        let in_braces = brace.is_some_and(|b| !before[b..].contains('}'));
        let at_key = brace.is_some_and(|b| {
            let since = &before[b + 1..];
            !since[since.rfind(',').map_or(0, |c| c + 1)..].contains(':')
        });
        out = match (*cmd, words.len()) {
            (":lead", _) if in_braces && at_key => {
                v.attrs.iter().map(|(n, _)| format!("{n}: ")).collect()
            }
            (":event", _) if in_braces && at_key => {
                let name = words.get(2).map_or("", |w| w.trim_end_matches('{'));
                v.event(name)
                    .unwrap_or(&[])
                    .iter()
                    .map(|(n, _)| format!("{n}: "))
                    .collect()
            }
            (":lead" | ":event", _) if in_braces => values(v),
            (":lead" | ":event" | ":show" | ":why", 1) => names(&v.leads),
            (":event", 2) => event_names(),
            (":why", 2) => [
                &v.scores[..],
                &v.lists[..],
                &v.workflows[..],
                &v.decisions[..],
            ]
            .concat(),
            // `:decide NAME` or `:decide ID NAME`.
            (":decide", 1) => [&v.decisions[..], &v.leads[..]].concat(),
            (":decide", 2) => v.decisions.clone(),
            (":trace", 1) => vec!["on".into(), "off".into()],
            (":help", 1) => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
            (":at", 1) => v.clock.iter().cloned().collect(),
            (":advance", 1) => ["1h", "12h", "1d", "2d", "3d", "7d", "14d", "30d"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            _ => Vec::new(),
        };
        return (start, filter(out, word));
    }
    let prev = words.last().copied().unwrap_or("");
    if prev == "of" || prev == "not" && words.len() == 1 {
        out = names(&v.leads);
    } else if let Some(rest) = word.strip_prefix("lead.") {
        let _ = rest;
        out = v.attrs.iter().map(|(n, _)| format!("lead.{n}")).collect();
    } else if matches!(prev, "did" | "count" | "last") || word.contains('.') {
        out = event_names();
    } else if prev == "in" {
        out = names(&v.lists);
    } else {
        out.extend(v.scores.iter().cloned());
        out.extend(v.lists.iter().cloned());
        out.extend(v.leads.iter().cloned());
        out.extend(v.variants.iter().cloned());
        out.push("lead.".into());
        out.extend(lexer::keywords().map(|k| k.to_string()));
    }
    (start, filter(out, word))
}

fn values(v: &Vocabulary) -> Vec<String> {
    let mut out = vec!["true".to_string(), "false".to_string()];
    out.extend(v.variants.iter().cloned());
    out
}

fn filter(mut names: Vec<String>, prefix: &str) -> Vec<String> {
    names.retain(|n| n.starts_with(prefix) && n != prefix);
    names.sort();
    names.dedup();
    names
}

/// A grey hint after the cursor: the rest of a command and its arguments, an event's
/// properties, or the one way to finish the word being typed.
pub fn hint(v: &Vocabulary, line: &str, pos: usize) -> Option<String> {
    if pos != line.len() || line.trim().is_empty() {
        return None;
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with(':') {
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let typing = !line.ends_with(char::is_whitespace);
        if words.len() == 1 && typing {
            let matches: Vec<_> = COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(words[0]))
                .collect();
            if let [c] = matches.as_slice() {
                let rest = &c.name[words[0].len()..];
                return Some(if c.args.is_empty() {
                    rest.to_string()
                } else {
                    format!("{rest} {}", c.args)
                });
            }
            return None;
        }
        let cmd = COMMANDS.iter().find(|c| c.name == words[0])?;
        if trimmed.contains('{') {
            return None;
        }
        let done = words.len() - 1 - usize::from(typing);
        match (cmd.name, done, typing) {
            (":event", 2, false) | (":event", 1, true) if words.len() == 3 => {
                let props = v.event(words[2])?;
                return Some(format!(
                    "{}{}",
                    if typing { " " } else { "" },
                    fields(props)
                ));
            }
            (":lead", 1, false) | (":lead", 0, true) if words.len() == 2 => {
                return Some(format!(
                    "{}{}",
                    if typing { " " } else { "" },
                    fields(&v.attrs)
                ));
            }
            _ => {}
        }
        if typing {
            return None;
        }
        let args = split_args(cmd.args);
        let rest = args.get(done..)?;
        return (!rest.is_empty()).then(|| rest.join(" "));
    }
    let (start, candidates) = complete(v, line, pos);
    if pos - start < 2 {
        return None;
    }
    match candidates.as_slice() {
        [one] => Some(one[pos - start..].to_string()),
        _ => None,
    }
}

/// `ID EVENT { prop: value, … }` as [`ID`, `EVENT`, `{ prop: value, … }`].
fn split_args(args: &str) -> Vec<&str> {
    match args.find('{') {
        Some(b) => {
            let mut v: Vec<&str> = args[..b].split_whitespace().collect();
            v.push(&args[b..]);
            v
        }
        None => args.split_whitespace().collect(),
    }
}

/// `{ title: string, items: int }`, at most four fields shown.
fn fields(props: &[(String, String)]) -> String {
    if props.is_empty() {
        return "{ }".into();
    }
    let shown: Vec<String> = props
        .iter()
        .take(4)
        .map(|(n, t)| format!("{n}: {t}"))
        .collect();
    let more = if props.len() > 4 { ", …" } else { "" };
    format!("{{ {}{more} }}", shown.join(", "))
}

/// The line with ANSI colours: commands, keywords, names the campaign declares, lead ids,
/// literals, comments; bytes the lexer does not know in red.
pub fn highlight(v: &Vocabulary, line: &str) -> String {
    let style = Style { color: true };
    let toks: Vec<(Option<Token>, std::ops::Range<usize>)> = lexer::tokens(line).collect();
    let mut out = String::with_capacity(line.len() * 2);
    let mut i = 0;
    let first_real = toks.iter().position(|(t, _)| *t != Some(Token::Whitespace));
    while i < toks.len() {
        let (tok, range) = toks[i].clone();
        let text = &line[range.clone()];
        // `:name` at the start is a command.
        if tok == Some(Token::Colon) && Some(i) == first_real {
            if let Some((Some(Token::Word), r)) = toks.get(i + 1) {
                out.push_str(&style.paint(sgr::BOLD, &line[range.start..r.end]));
                i += 2;
                continue;
            }
        }
        if tok == Some(Token::Word) {
            // A dotted event name takes its dots and words along.
            let mut end = i;
            let mut name = text.to_string();
            let mut best = None;
            while let (Some((Some(Token::Dot), _)), Some((Some(Token::Word), r))) =
                (toks.get(end + 1), toks.get(end + 2))
            {
                name.push('.');
                name.push_str(&line[r.clone()]);
                end += 2;
                if v.event(&name).is_some() {
                    best = Some((end, r.end));
                }
            }
            if let Some((last, stop)) = best {
                out.push_str(&style.paint(sgr::BLUE, &line[range.start..stop]));
                i = last + 1;
                continue;
            }
            let is = |xs: &[String]| xs.iter().any(|x| x == text);
            let code = if lexer::is_keyword(text) {
                Some(sgr::MAGENTA)
            } else if is(&v.scores) || is(&v.lists) || is(&v.workflows) {
                Some(sgr::YELLOW)
            } else if is(&v.leads) {
                Some(sgr::CYAN)
            } else {
                None
            };
            match code {
                Some(c) => out.push_str(&style.paint(c, text)),
                None => out.push_str(text),
            }
            i += 1;
            continue;
        }
        let code = match tok {
            Some(Token::String(text)) if text.closed => Some(sgr::GREEN),
            Some(Token::String(_)) | None => Some(sgr::RED),
            Some(
                Token::Number
                | Token::Duration
                | Token::Percent
                | Token::Instant
                | Token::TimeOfDay,
            ) => Some(sgr::CYAN),
            Some(Token::Comment) => Some(sgr::DIM),
            _ => None,
        };
        match code {
            Some(c) => out.push_str(&style.paint(c, text)),
            None => out.push_str(text),
        }
        i += 1;
    }
    out
}

/// How many braces, brackets and parentheses are open at the end of `text` (strings and
/// comments aside): input goes on to the next line while this is positive.
pub fn open_brackets(text: &str) -> i32 {
    lexer::tokens(text)
        .map(|(t, _)| match t {
            Some(Token::LBrace | Token::LBracket | Token::LParen) => 1,
            Some(Token::RBrace | Token::RBracket | Token::RParen) => -1,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary {
            leads: vec!["ann".into(), "bob".into()],
            events: vec![
                (
                    "ebook.downloaded".into(),
                    vec![("title".into(), "string".into())],
                ),
                (
                    "email.opened".into(),
                    vec![("template".into(), "string".into())],
                ),
            ],
            attrs: vec![
                ("email".into(), "string".into()),
                ("stage".into(), "Stage".into()),
            ],
            scores: vec!["fit".into(), "total".into()],
            lists: vec!["hot".into()],
            workflows: vec!["welcome_series".into()],
            decisions: vec!["homepage_cta".into()],
            variants: vec!["customer".into()],
            clock: Some("2026-01-01T00:00:00Z".into()),
        }
    }

    fn names(line: &str) -> Vec<String> {
        complete(&vocab(), line, line.len()).1
    }

    #[test]
    fn completion_follows_the_command_being_typed() {
        assert_eq!(names(":sh"), vec![":show"]);
        assert_eq!(names(":event a"), vec!["ann"]);
        assert_eq!(names(":event ann eb"), vec!["ebook.downloaded"]);
        assert_eq!(names(":event ann ebook.downloaded { ti"), vec!["title: "]);
        assert_eq!(names(":lead bob { em"), vec!["email: "]);
        assert_eq!(names(":lead bob { stage: cu"), vec!["customer"]);
        assert_eq!(
            names(":why ann "),
            vec!["fit", "homepage_cta", "hot", "total", "welcome_series"]
        );
        assert_eq!(names(":decide ho"), vec!["homepage_cta"]);
        assert_eq!(names(":decide ann ho"), vec!["homepage_cta"]);
        assert_eq!(names(":trace o"), vec!["off", "on"]);
    }

    #[test]
    fn completion_in_expressions() {
        assert_eq!(names("total of "), vec!["ann", "bob"]);
        assert_eq!(names("lead.st"), vec!["lead.stage"]);
        assert_eq!(names("did em"), vec!["email.opened"]);
        assert_eq!(names("ann in "), vec!["hot"]);
        assert!(names("to").contains(&"total".to_string()));
        assert!(names("whe").contains(&"where".to_string()));
    }

    #[test]
    fn hints_show_what_comes_next() {
        let v = vocab();
        let h = |line: &str| hint(&v, line, line.len());
        assert_eq!(h(":ev").as_deref(), Some("ent ID EVENT { prop: value, … }"));
        assert_eq!(
            h(":event ann ").as_deref(),
            Some("EVENT { prop: value, … }")
        );
        assert_eq!(
            h(":event ann ebook.downloaded").as_deref(),
            Some(" { title: string }")
        );
        assert_eq!(
            h(":lead ann ").as_deref(),
            Some("{ email: string, stage: Stage }")
        );
        assert_eq!(h("welc"), None);
        assert_eq!(h("tot").as_deref(), Some("al"));
    }

    #[test]
    fn highlighting_colours_words_the_campaign_knows_and_keeps_the_text() {
        let v = vocab();
        let line = ":event ann ebook.downloaded { title: \"x\" } // hi";
        let h = highlight(&v, line);
        assert!(h.contains("\x1b[1m:event\x1b[0m"));
        assert!(h.contains("\x1b[36mann\x1b[0m"));
        assert!(h.contains("\x1b[34mebook.downloaded\x1b[0m"));
        assert!(h.contains("\x1b[32m\"x\"\x1b[0m"));
        let stripped = h.replace('\x1b', "\u{0}");
        let plain: String = stripped
            .split('\u{0}')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or("", |(_, rest)| rest)
                }
            })
            .collect();
        assert_eq!(plain, line);
        assert!(highlight(&v, "total of ann and lead.stage").contains("\x1b[35mof\x1b[0m"));
    }

    #[test]
    fn input_goes_on_while_braces_are_open() {
        assert_eq!(open_brackets(":lead ann {"), 1);
        // Braces in strings are text (`{{`) or interpolations, which close inside the string.
        assert_eq!(open_brackets(":lead ann { email: \"{{\" }"), 0);
        assert_eq!(open_brackets(":lead ann { email: \"{lead.id}}}\" }"), 0);
        assert_eq!(open_brackets(":lead ann {\n  email: \"a\"\n}"), 0);
    }
}
