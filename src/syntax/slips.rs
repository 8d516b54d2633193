//! The syntax slips people make most, recognised where the parser stops and answered with what
//! to write instead: `=` for `==` and chained comparisons, `&&` for `and`, a misspelled
//! keyword, `1mo` and `9pm`, `per week`, text without quotes, a name with accents, `add`
//! outside a score, and a block left open.

use super::errors::{join_or, Place};
use super::lexer::{is_keyword, DECLARATION_WORDS, EXPRESSION_KEYWORDS};
use super::parser::Rule;
use crate::diag::{Code, Diagnostic};
use crate::lang::span::{line_col, Span};
use crate::lang::spelling;

/// The diagnostic for a slip at `p`, if it is one of those this module knows.
pub(super) fn recognise(p: &Place<'_>) -> Option<Diagnostic> {
    let slips: [fn(&Place<'_>) -> Option<Diagnostic>; 9] = [
        accented_name,
        c_operator,
        comparison,
        open_block,
        add_outside_score,
        number_with_unit,
        unit_word,
        unquoted_text,
        misspelled_word,
    ];
    slips.iter().find_map(|slip| slip(p))
}

/// The help that lists what durations look like.
const DURATIONS: &str = "a duration is a number and a unit right after it: `30s`, `15m`, `12h`, \
     `3d`, `2w` (seconds, minutes, hours, days, weeks)";

/// `a && b`, `a || b`, `!a`: Nurture writes these as words.
fn c_operator(p: &Place<'_>) -> Option<Diagnostic> {
    let rest = &p.source[p.pos..];
    let (op, word, example) = [
        ("&&", "and", "did email.opened and did email.clicked"),
        (
            "||",
            "or",
            "lead.country == \"US\" or lead.country == \"CA\"",
        ),
        ("&", "and", "did email.opened and did email.clicked"),
        (
            "|",
            "or",
            "lead.country == \"US\" or lead.country == \"CA\"",
        ),
        ("!", "not", "not did email.unsubscribed"),
    ]
    .into_iter()
    .find(|(op, _, _)| rest.starts_with(op) && !rest.starts_with("!="))?;
    let span = Span::new(p.pos, p.pos + op.len());
    Some(
        Diagnostic::new(
            Code::Syntax,
            span,
            format!("write `{word}` instead of `{op}`"),
        )
        .with_label(format!("`{word}` here"))
        .with_help(format!(
            "Nurture joins conditions with the words `and`, `or` and `not`, as in `{example}`"
        )),
    )
}

/// `where minutes = 30` (a comparison is `==`) and `50 <= x < 1000` (comparisons do not
/// chain, E0205).
fn comparison(p: &Place<'_>) -> Option<Diagnostic> {
    let rest = &p.source[p.pos..];
    let op: String = rest.chars().take_while(|c| "<>=!".contains(*c)).collect();
    if op.is_empty() || !p.expected().contains(&"an operator") {
        return None;
    }
    let span = Span::new(p.pos, p.pos + op.len());
    if op == "=" {
        let left = word_before(p.source, p.pos);
        let right = token_after(p.source, p.pos + 1);
        let help = match (left, right) {
            (Some(l), Some(r)) => format!("write `{l} == {r}`"),
            _ => "a comparison is written `==`; a single `=` gives a value, as in \
                  `set lead.stage = customer`"
                .to_string(),
        };
        return Some(
            Diagnostic::new(Code::Syntax, span, "use `==` to compare")
                .with_label("`=` does not compare")
                .with_help(help),
        );
    }
    if !["==", "!=", "<", "<=", ">", ">="].contains(&op.as_str()) {
        return None;
    }
    Some(
        Diagnostic::new(Code::NotComparable, span, "comparisons do not chain")
            .with_label("a second comparison")
            .with_help("compare twice and join with `and`: `50 <= lead.size and lead.size < 1000`"),
    )
}

/// The end of the text, or the next declaration, while a `{` is still open.
fn open_block(p: &Place<'_>) -> Option<Diagnostic> {
    let &brace = p.open.last()?;
    let line_start = p.source[..p.pos].rfind('\n').map_or(0, |i| i + 1);
    let starts_line = p.source[line_start..p.pos].trim().is_empty();
    let next_declaration = starts_line && DECLARATION_WORDS.contains(&p.found.as_str());
    if !(p.found.is_empty() || next_declaration) {
        return None;
    }
    let name = block_name(p.source, brace);
    let line = line_col(p.source, brace as u32).0;
    let mut d = Diagnostic::new(
        Code::Syntax,
        Span::new(brace, brace + 1),
        format!("{name}, opened on line {line}, is never closed"),
    )
    .with_label("opened here");
    if let Some(end) = p.line_ended_too_soon() {
        d = d.with_secondary(end, "expected `}` after this");
    }
    Some(d.with_help(format!("add `}}` where {name} ends")))
}

/// What the `{` at `brace` opens, from the words before it on its line.
fn block_name(source: &str, brace: usize) -> String {
    let line_start = source[..brace].rfind('\n').map_or(0, |i| i + 1);
    let head = source[line_start..brace].trim();
    let words: Vec<&str> = head.split_whitespace().collect();
    let second = || words.get(1).copied().unwrap_or("");
    let quoted = || {
        let text = head.split_once('"').map_or("", |(_, rest)| rest);
        format!("\"{}\"", text.split('"').next().unwrap_or(""))
    };
    match words.first().copied().unwrap_or("") {
        "workflow" => format!("workflow `{}`", second()),
        "score" => format!("score `{}`", second()),
        "enum" => format!("enum `{}`", second()),
        "event" => format!("the properties of event `{}`", second()),
        "lead" if words.len() == 1 => "the `lead` schema".to_string(),
        "lead" => format!("the fields of lead `{}`", second()),
        "test" => format!("the test {}", quoted()),
        "policy" => "the `policy`".to_string(),
        "split" => "the `split`".to_string(),
        "if" => "the `if` block".to_string(),
        _ if head.contains("else if") => "the `if` block".to_string(),
        _ if words.last() == Some(&"else") => "the `else` block".to_string(),
        _ if words.contains(&"webhook") => format!("the fields of webhook {}", quoted()),
        w if w.ends_with('%') => format!("the split arm {}", quoted()),
        _ => "this block".to_string(),
    }
}

/// `add` and `subtract` belong to a score's rules.
fn add_outside_score(p: &Place<'_>) -> Option<Diagnostic> {
    let word = p.found.as_str();
    if !matches!(word, "add" | "subtract") {
        return None;
    }
    let example = match p.declaration {
        Some(("score", _)) => return None,
        Some(("on", start)) => {
            let end = p.source[p.pos..]
                .find('\n')
                .map_or(p.source.len(), |i| p.pos + i);
            let rule = p.source[start..end].split_whitespace().collect::<Vec<_>>();
            format!("score engagement {{ {} }}", rule.join(" "))
        }
        _ => "score engagement { on email.opened add 5 }".to_string(),
    };
    Some(
        Diagnostic::new(
            Code::Syntax,
            p.found_span(),
            format!("`{word}` only goes in a score"),
        )
        .with_label("not in a score")
        .with_help(format!(
            "points are given by a score's rules: write `{example}`; a trigger or a workflow \
             does something (`start`, `send`, `tag`, …)"
        )),
    )
}

/// `1mo`, `2weeks`, `9pm`: a number with letters after it that are no unit.
fn number_with_unit(p: &Place<'_>) -> Option<Diagnostic> {
    let (start, end) = ascii_word_around(p.source, p.pos);
    let word = &p.source[start..end];
    let digits = word.chars().take_while(|c| c.is_ascii_digit()).count();
    let (n, unit) = word.split_at(digits);
    if digits == 0 || unit.is_empty() || !unit.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n: u64 = n.parse().ok()?;
    let span = Span::new(start, end);
    if let Some(time) = clock_time(n, unit) {
        let help = if !p.tried_rule(Rule::time_of_day) && p.tried_rule(Rule::kw_until) {
            format!("to wait for a time of day, write `wait until {time}`")
        } else {
            "times of day are written on the 24-hour clock, as in `quiet hours 21:00 to 08:00`"
                .to_string()
        };
        let message = format!("`{word}` is not a time Nurture reads: write `{time}`");
        return Some(
            Diagnostic::new(Code::Syntax, span, message)
                .with_label(format!("write `{time}`"))
                .with_help(help),
        );
    }
    if !p.tried_rule(Rule::duration) {
        return None;
    }
    let message = match unit_duration(n, unit) {
        Some((fix, Some(missing))) => {
            format!("`{word}` is not a duration: Nurture has no {missing}; write `{fix}`")
        }
        Some((fix, None)) => format!("`{word}` is not a duration Nurture reads: write `{fix}`"),
        None => format!("`{word}` is not a duration: `{unit}` is no unit"),
    };
    Some(
        Diagnostic::new(Code::Syntax, span, message)
            .with_label("not a unit")
            .with_help(DURATIONS),
    )
}

/// `9pm` as `21:00`, `12am` as `00:00`.
fn clock_time(n: u64, unit: &str) -> Option<String> {
    let pm = match unit.to_ascii_lowercase().as_str() {
        "am" => false,
        "pm" => true,
        _ => return None,
    };
    let hour = match (n, pm) {
        (1..=11, false) => n,
        (12, false) => 0,
        (1..=11, true) => n + 12,
        (12, true) => 12,
        _ => return None,
    };
    Some(format!("{hour:02}:00"))
}

/// `n` of a unit people write, as a duration Nurture reads, and the unit Nurture lacks (months,
/// years), if that is why.
fn unit_duration(n: u64, unit: &str) -> Option<(String, Option<&'static str>)> {
    let days = |per: u64| n.checked_mul(per).map(|d| format!("{d}d"));
    let (fix, missing) = match unit.to_ascii_lowercase().as_str() {
        "mo" | "mos" | "mon" | "month" | "months" => (days(30)?, Some("months")),
        "y" | "yr" | "yrs" | "year" | "years" => (days(365)?, Some("years")),
        "sec" | "secs" | "second" | "seconds" => (format!("{n}s"), None),
        "min" | "mins" | "minute" | "minutes" => (format!("{n}m"), None),
        "hr" | "hrs" | "hour" | "hours" => (format!("{n}h"), None),
        "day" | "days" => (format!("{n}d"), None),
        "wk" | "wks" | "week" | "weeks" => (format!("{n}w"), None),
        _ => return None,
    };
    Some((fix, missing))
}

/// `per week`, `every month`: a unit without its number.
fn unit_word(p: &Place<'_>) -> Option<Diagnostic> {
    if !p.tried_rule(Rule::duration) {
        return None;
    }
    let one = match p.found.to_ascii_lowercase().as_str() {
        "second" | "sec" => "1s",
        "minute" | "min" => "1m",
        "hour" | "hr" => "1h",
        "day" => "1d",
        "week" | "wk" => "7d",
        "month" | "mo" => "30d",
        "year" | "yr" => "365d",
        _ => return None,
    };
    let fix = match word_before(p.source, p.pos) {
        Some(before) if ["per", "every", "within", "wait"].contains(&before.as_str()) => {
            format!("{before} {one}")
        }
        _ => one.to_string(),
    };
    let message = format!("`{}` is not a duration: write `{fix}`", p.found);
    Some(
        Diagnostic::new(Code::Syntax, p.found_span(), message)
            .with_label(format!("write `{one}`"))
            .with_help(DURATIONS),
    )
}

/// `send email welcome`: text without its quotes.
fn unquoted_text(p: &Place<'_>) -> Option<Diagnostic> {
    let starts_word = p
        .found
        .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !p.tried_rule(Rule::string) || !starts_word || is_keyword(&p.found) {
        return None;
    }
    let rest = &p.source[p.pos..];
    let end = p.pos
        + rest
            .find(|c: char| c.is_whitespace() || "{}\"".contains(c))
            .unwrap_or(rest.len());
    let text = &p.source[p.pos..end];
    Some(
        Diagnostic::new(
            Code::Syntax,
            Span::new(p.pos, end),
            format!("expected a string in double quotes, found `{text}`"),
        )
        .with_label("not in quotes")
        .with_help(format!(
            "template names, messages, tags and labels are text in double quotes: `\"{text}\"`"
        )),
    )
}

/// `wiat 2d`, `sned email`: the nearest word that can come here.
fn misspelled_word(p: &Place<'_>) -> Option<Diagnostic> {
    let word = p.found.as_str();
    let plain = word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain || is_keyword(word) {
        return None;
    }
    let words = p.words_tried();
    let near = spelling::nearest(word, words.iter().map(String::as_str))?;
    // The help lists the words of the suggestion's kind: those that open a statement (`set`
    // among them), or those that go on with an expression (`and`, `within`, `contains`, …).
    let continues = |w: &str| w != "set" && (EXPRESSION_KEYWORDS.contains(&w) || !is_keyword(w));
    let kind = continues(near);
    let listed: Vec<String> = (words.iter())
        .filter(|w| continues(w) == kind)
        .map(|w| format!("`{w}`"))
        .collect();
    let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
    Some(
        Diagnostic::new(
            Code::Syntax,
            p.found_span(),
            format!("`{word}` is not a word Nurture knows here: did you mean `{near}`?"),
        )
        .with_label(format!("did you mean `{near}`?"))
        .with_help(format!(
            "the words that can come here: {}",
            join_or(&listed)
        )),
    )
}

/// `list café = …`: a name with letters outside a to z.
fn accented_name(p: &Place<'_>) -> Option<Diagnostic> {
    let c = p.source[p.pos..].chars().next()?;
    if c.is_ascii() || !c.is_alphanumeric() {
        return None;
    }
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let start = (p.source[..p.pos].char_indices().rev())
        .take_while(|(_, c)| is_name(*c))
        .last()
        .map_or(p.pos, |(i, _)| i);
    let rest = &p.source[p.pos..];
    let end = p.pos + rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
    let word = &p.source[start..end];
    let mut odd: Vec<char> = word.chars().filter(|c| !c.is_ascii()).collect();
    odd.dedup();
    let odd: String = odd
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let plain: String = word.chars().flat_map(plain_letters).collect();
    let help = if plain.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        format!("write `{plain}`")
    } else {
        "write the name with the letters a to z".to_string()
    };
    Some(
        Diagnostic::new(
            Code::Syntax,
            Span::new(start, end),
            format!(
                "`{word}` is not a name Nurture can read: names use only the letters a to z, \
                 digits and `_`"
            ),
        )
        .with_label(format!("{odd} is not a to z"))
        .with_help(format!("{help}; text in quotes may hold any letter")),
    )
}

/// A letter as a to z: accents dropped, `ß` as `ss`; other letters outside a to z as nothing.
fn plain_letters(c: char) -> Vec<char> {
    if c.is_ascii() {
        return vec![c];
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    let plain: &str = match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ı' => "i",
        'ł' | 'ľ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => "",
    };
    let upper = c.is_uppercase();
    plain
        .chars()
        .map(|p| if upper { p.to_ascii_uppercase() } else { p })
        .collect()
}

/// The name or number just before `pos` (`minutes`, `lead.stage`), if any.
fn word_before(source: &str, pos: usize) -> Option<String> {
    let before = source[..pos].trim_end();
    let word: String = (before.chars().rev())
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    (!word.is_empty()).then(|| word.chars().rev().collect())
}

/// The token just after `pos`, up to a space or a closing bracket (`30`, `"US"`), if any.
fn token_after(source: &str, pos: usize) -> Option<String> {
    let after = source[pos..].trim_start();
    let end = after
        .find(|c: char| c.is_whitespace() || ")]},".contains(c))
        .unwrap_or(after.len());
    (end > 0).then(|| after[..end].to_string())
}

/// The run of ASCII letters, digits and `_` around `pos`.
fn ascii_word_around(source: &str, pos: usize) -> (usize, usize) {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let bytes = source.as_bytes();
    let mut start = pos;
    while start > 0 && is_word(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = pos;
    while end < bytes.len() && is_word(bytes[end]) {
        end += 1;
    }
    (start, end)
}
