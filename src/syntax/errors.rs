//! Syntax errors in a marketer's words: what Nurture expected where the text stopped making
//! sense, pointed at the right place, and for the slips people make most (`slips.rs`), what to
//! write instead.

use super::lexer::{tokens, Token, DECLARATION_WORDS};
use super::parser::Rule;
use super::slips;
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;
use pest::error::{ErrorVariant, InputLocation};

/// Turns a pest error into a diagnostic. `source` is the whole file; `offset` is where the
/// parsed text starts in it (a declaration read on its own).
pub(super) fn syntax_error(
    error: pest::error::Error<Rule>,
    source: &str,
    offset: usize,
) -> Diagnostic {
    let pos = offset
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let tried = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.as_slice(),
        ErrorVariant::CustomError { .. } => &[],
    };
    let place = Place::new(source, offset, pos, tried);
    slips::recognise(&place).unwrap_or_else(|| place.expected_found())
}

/// Where a syntax error is, and what surrounds it.
pub(super) struct Place<'s> {
    pub source: &'s str,
    pub pos: usize,
    /// What the grammar tried at `pos`; outside a test, without what only a test may hold.
    pub tried: Vec<Rule>,
    /// The word at `pos`, or its character; empty at the end of the text.
    pub found: String,
    /// The first word of the declaration the error is in (`workflow`, `on`, `test`, …), and
    /// where that declaration starts.
    pub declaration: Option<(&'s str, usize)>,
    /// The `{` still open at `pos`, innermost last.
    pub open: Vec<usize>,
}

impl<'s> Place<'s> {
    fn new(source: &'s str, offset: usize, pos: usize, tried: &[Rule]) -> Place<'s> {
        let mut declaration = None;
        let mut open = Vec::new();
        for (token, range) in tokens(&source[offset..pos]) {
            let range = range.start + offset..range.end + offset;
            match token {
                Some(Token::LBrace) => open.push(range.start),
                Some(Token::RBrace) => {
                    open.pop();
                }
                Some(Token::Word) if open.is_empty() => {
                    let word = &source[range.clone()];
                    let after_dot = source[..range.start].ends_with('.');
                    if DECLARATION_WORDS.contains(&word) && !after_dot {
                        declaration = Some((word, range.start));
                    }
                }
                _ => {}
            }
        }
        let in_test = declaration.is_some_and(|(word, _)| word == "test");
        let tried = (tried.iter().copied())
            .filter(|r| in_test || !TEST_ONLY.contains(r))
            .collect();
        Place {
            source,
            pos,
            tried,
            found: found_at(source, pos),
            declaration,
            open,
        }
    }

    /// Whether the grammar tried `rule` here.
    pub fn tried_rule(&self, rule: Rule) -> bool {
        self.tried.contains(&rule)
    }

    /// The reserved and contextual words the grammar tried here (`wait`, `send`, …), in order.
    pub fn words_tried(&self) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for rule in &self.tried {
            let name = format!("{rule:?}");
            if let Some(word) = name
                .strip_prefix("kw_")
                .or_else(|| name.strip_prefix("op_"))
            {
                if !words.iter().any(|w| w == word) {
                    words.push(word.to_string());
                }
            }
        }
        words
    }

    /// The span of the found text, at least one character.
    pub fn found_span(&self) -> Span {
        let end = (self.pos + self.found.len().max(1)).min(self.source.len());
        Span::new(self.pos, end.max(self.pos))
    }

    /// The last character before `pos` that is not a space, when `pos` starts a new line: the
    /// place where a line ended too soon.
    pub fn line_ended_too_soon(&self) -> Option<Span> {
        let before = self.source[..self.pos].trim_end();
        if before.is_empty() || !self.source[before.len()..self.pos].contains('\n') {
            return None;
        }
        let last = before.char_indices().last().map_or(0, |(i, _)| i);
        Some(Span::new(last, before.len()))
    }

    /// "expected X or Y, found Z": at the end of the line before, when the found text is a
    /// reserved word, a `}` or the end, which show that a line ended too soon; else at the
    /// found text.
    fn expected_found(&self) -> Diagnostic {
        let found = &self.found;
        let expected = self.expected();
        let found_words = if found.is_empty() {
            "the end of the file".to_string()
        } else {
            format!("`{found}`")
        };
        let message = match expected.len() {
            0 => format!("unexpected {found_words}"),
            _ => format!("expected {}, found {found_words}", join_or(&expected)),
        };
        let ends_a_line = found.is_empty() || found == "}" || super::lexer::is_keyword(found);
        let (span, label) = match self.line_ended_too_soon().filter(|_| ends_a_line) {
            Some(span) => (span, "after this"),
            None => (self.found_span(), "here"),
        };
        let mut diag = Diagnostic::new(Code::Syntax, span, message).with_label(label);
        if let Some(help) = syntax_help(&expected, found) {
            diag = diag.with_help(help);
        }
        diag
    }

    /// What was expected, in plain words, each once.
    pub fn expected(&self) -> Vec<&'static str> {
        let mut expected: Vec<&'static str> = Vec::new();
        for words in self.tried.iter().filter_map(|r| describe(*r)) {
            if !expected.contains(&words) {
                expected.push(words);
            }
        }
        expected
    }
}

/// What only a `test` may hold: outside one, these are never what a line lacks.
const TEST_ONLY: &[Rule] = &[
    Rule::kw_of,
    Rule::kw_expect,
    Rule::kw_after,
    Rule::kw_sent,
    Rule::kw_converted,
    Rule::kw_step,
    Rule::test_lead,
    Rule::test_at,
    Rule::test_after,
    Rule::test_expect,
    Rule::test_event,
    Rule::expect_sent,
    Rule::expect_workflow,
    Rule::expect_converted,
];

fn found_at(source: &str, pos: usize) -> String {
    let rest = &source[pos.min(source.len())..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !word.is_empty() {
        return word;
    }
    rest.chars()
        .next()
        .map(|c| c.to_string())
        .unwrap_or_default()
        .replace('\n', "\\n")
}

pub(super) fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn syntax_help(expected: &[&str], found: &str) -> Option<String> {
    if expected.contains(&DURATION)
        && found.chars().all(|c| c.is_ascii_digit())
        && !found.is_empty()
    {
        return Some(format!("write the unit right after the number: `{found}d` for days, `{found}h` for hours, `{found}m` for minutes"));
    }
    if super::lexer::is_keyword(found) && expected.contains(&NAME) {
        return Some(format!("`{found}` is a reserved word; choose another name"));
    }
    None
}

pub(super) const DURATION: &str = "a duration such as `3d`";
const NAME: &str = "a name";

/// What a rule looks like, in a marketer's words. `None` hides rules that only add noise.
pub(super) fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        duration => DURATION,
        time_of_day => "a time of day such as `10:00`",
        percent => "a percentage such as `50%`",
        number | signed_number | integer => "a number",
        string | description => "a string in double quotes",
        regex => "a regex in double quotes",
        instant => "a date and time such as `2026-03-02T09:00:00Z`",
        ident | word | path => NAME,
        event_name => "an event name such as `email.opened`",
        expr | or_expr | and_expr | not_expr | comparison | coalesce | sum | product | unary
        | postfix | not_op | neg_op | paren | did_expr | count_expr | last_expr | lead_attr
        | now | received | boolean | list_literal => "an expression",
        compare_op | op_matches | op_contains | op_starts_with | op_ends_with | sum_op
        | product_op | is_test | matches_test | in_test | compare => "an operator",
        type_expr | list_type => "a type such as `string` or `int?`",
        optional_mark => "`?`",
        attr_decl => "an attribute such as `email: string`",
        prop_decl => "a property such as `title: string`",
        campaign_decl | lead_decl | enum_decl | event_decl | score_decl | list_decl | trigger
        | workflow | policy | test_decl => {
            "a declaration (`lead`, `event`, `score`, `list`, `on`, `workflow`, `policy`, `test`)"
        }
        decay_rule | when_rule | on_rule => "a scoring rule (`when`, `on`, `decay`)",
        effect => "`add`, `subtract` or `set` and a number",
        cap => "`at most N times per D`",
        where_clause => "`where`",
        enroll | only_if | exit_when | goal | holdout => {
            "a workflow setting (`enroll`, `only if`, `exit when`, `goal`, `holdout`)"
        }
        wait_for | wait_until | wait_up_to | if_step | split_step | send_step | notify_step
        | retarget_step | webhook_step | set_step | tag_step | untag_step | start_step
        | stop_step | block => "a step (`send`, `wait`, `if`, `split`, `set`, `tag`, `notify`, …)",
        enter_list | exit_list | event_source => "an event name or `enter`/`exit` a list",
        split_arm => "a split share such as `50% \"A\": …`",
        frequency | quiet_hours | suppress => {
            "a policy rule (`frequency`, `quiet hours`, `suppress when`)"
        }
        test_lead | test_at | test_after | test_expect => {
            "a test step (`lead`, `at`, `after`, `expect`)"
        }
        expect_sent | expect_workflow | expect_converted => "an expectation",
        test_event => "a lead and an event",
        object | field => "fields in braces such as `{ name: value }`",
        within => "`within`",
        since_enrolled => "`since enrolled`",
        text | escape | interpolation => "the rest of the string",
        EOI => "the end of the file",
        kw_and => "`and`",
        kw_or => "`or`",
        kw_not | negation => "`not`",
        kw_in => "`in`",
        kw_is => "`is`",
        kw_set => "`set`",
        kw_missing => "`missing`",
        kw_of => "`of`",
        kw_when => "`when`",
        kw_on => "`on`",
        kw_add => "`add`",
        kw_subtract => "`subtract`",
        kw_at => "`at`",
        kw_most => "`most`",
        kw_times => "`times`",
        kw_per => "`per`",
        kw_every => "`every`",
        kw_if => "`if`",
        kw_else => "`else`",
        kw_until => "`until`",
        kw_up => "`up`",
        kw_to => "`to`",
        kw_for => "`for`",
        kw_once => "`once`",
        kw_as => "`as`",
        kw_hours => "`hours`",
        kw_weekday => "`weekday`",
        kw_enrolled => "`enrolled`",
        kw_time => "`time`",
        kw_remove => "`remove`",
        kw_step => "`step`",
        kw_workflow => "`workflow`",
        kw_sent => "`sent`",
        _ => return None,
    })
}
