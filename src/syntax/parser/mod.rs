//! pest pairs -> AST, and syntax errors in a marketer's words.
//!
//! Here: the entry points (`parse`, `parse_expr`, `parse_test_stmts`), the reading of a file
//! declaration by declaration, and the `Builder` that turns pairs into nodes; the nodes of
//! each part of the grammar are built in `declarations`, `workflows`, `test_stmts`,
//! `expressions` and `literals`.

mod chunks;
mod decisions;
mod declarations;
mod expressions;
mod literals;
mod reparse;
mod test_stmts;
mod workflows;

use super::ast::*;
use super::errors::syntax_error;
use super::lexer::DECLARATION_WORDS;
use super::limits;
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;
use pest::iterators::Pair;
use pest::Parser as _;
pub use reparse::Parsed;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/nurture.pest"]
struct NurtureParser;

/// Parses a whole file. On syntax errors the file is re-read declaration by declaration so
/// that every broken declaration is reported, not only the first; the tree then holds the
/// declarations that did parse.
pub fn parse(source: &str) -> (File, Vec<Diagnostic>) {
    let parsed = Parsed::new(source);
    (parsed.file, parsed.diags)
}

/// Parses a file one declaration at a time, as `file = { SOI ~ item* ~ EOI }` does, each
/// turned into its AST node before the next is read, so that pest's record of a parse (tens
/// of bytes a rule) never holds more than one declaration. `None` at the first declaration
/// that does not parse: the caller then reads the whole file again for its errors.
#[cfg(test)]
fn parse_items(source: &str) -> Option<(File, Vec<Diagnostic>)> {
    let (items, pieces, _) = reparse::read_items(source, skip_trivia(source, 0), |_| false)?;
    let diags = pieces.into_iter().flat_map(|p| p.diags).collect();
    Some((File { items }, diags))
}

/// The offset after the whitespace and comments at `at` (the grammar's `WHITESPACE` and
/// `COMMENT`).
fn skip_trivia(source: &str, mut at: usize) -> usize {
    loop {
        let rest = &source[at..];
        if rest.starts_with("//") {
            at += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}'))
        {
            at += c.len_utf8();
        } else {
            return at;
        }
    }
}

/// The pest tree of a whole file, for tools that lay its text out again (`fmt`): the `file`
/// pair, spans into `source`. Comments and whitespace are silent in the grammar, so they are
/// not in the tree; such a tool reads them from the text between pairs.
pub fn parse_tree(source: &str) -> Result<Pair<'_, Rule>, Diagnostic> {
    let mut pairs =
        NurtureParser::parse(Rule::file, source).map_err(|e| syntax_error(e, source, 0))?;
    Ok(pairs.next().expect("the file rule always yields a pair"))
}

/// Parses one expression (REPL input and tests).
pub fn parse_expr(source: &str) -> Result<Expr, Vec<Diagnostic>> {
    let scan = limits::scan(source);
    if !scan.is_empty() {
        return Err(scan);
    }
    let mut pairs = NurtureParser::parse(Rule::expr_input, source)
        .map_err(|e| vec![syntax_error(e, source, 0)])?;
    let pair = pairs
        .next()
        .and_then(|p| p.into_inner().next())
        .expect("expr_input holds an expr");
    let mut b = Builder {
        offset: 0,
        diags: Vec::new(),
    };
    let expr = b.expr(pair);
    if b.diags.is_empty() {
        Ok(expr)
    } else {
        Err(b.diags)
    }
}

/// Parses one test statement (the REPL's `:event`-style input reuses the test syntax).
pub fn parse_test_stmts(source: &str) -> Result<Vec<TestStmt>, Vec<Diagnostic>> {
    let scan = limits::scan(source);
    if !scan.is_empty() {
        return Err(scan);
    }
    let pairs = NurtureParser::parse(Rule::test_stmts_input, source)
        .map_err(|e| vec![syntax_error(e, source, 0)])?;
    let mut b = Builder {
        offset: 0,
        diags: Vec::new(),
    };
    let stmts = pairs
        .flat_map(|p| p.into_inner())
        .filter(|p| p.as_rule() != Rule::EOI)
        .map(|p| b.test_stmt(p))
        .collect();
    if b.diags.is_empty() {
        Ok(stmts)
    } else {
        Err(b.diags)
    }
}

fn parse_rule(
    full: &str,
    source: &str,
    rule: Rule,
    offset: usize,
) -> Result<(File, Vec<Diagnostic>), Diagnostic> {
    let mut pairs =
        NurtureParser::parse(rule, source).map_err(|e| syntax_error(e, full, offset))?;
    let file = pairs.next().expect("the file rule always yields a pair");
    let mut b = Builder {
        offset,
        diags: Vec::new(),
    };
    let items = file
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .map(|p| b.item(p))
        .collect();
    Ok((File { items }, b.diags))
}

struct Builder {
    /// Where the parsed text starts in the file, when a declaration is parsed on its own.
    offset: usize,
    diags: Vec<Diagnostic>,
}

fn inner(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner()
}

fn is_keyword_pair(p: &Pair<'_, Rule>) -> bool {
    format!("{:?}", p.as_rule()).starts_with("kw_")
}

/// The meaningful children: keywords dropped.
fn parts(pair: Pair<'_, Rule>) -> Vec<Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword_pair(p)).collect()
}

impl Builder {
    /// A pair's span, without the whitespace pest may leave at its end.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let len = pair.as_str().trim_end().len();
        Span::new(s.start() + self.offset, s.start() + len + self.offset)
    }

    fn bad_literal(&mut self, span: Span, message: String, help: &str) {
        self.diags
            .push(Diagnostic::new(Code::BadLiteral, span, message).with_help(help));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ops::BinOp;

    fn ok(src: &str) -> File {
        let (file, diags) = parse(src);
        assert!(diags.is_empty(), "{diags:#?}");
        file
    }

    #[test]
    fn a_file_read_one_declaration_at_a_time_is_the_file_read_whole() {
        let sources = [
            include_str!("../../../tests/fixtures/contract.nurture"),
            include_str!("../../../stdlib/prelude.nurture"),
            include_str!("../../../examples/b2b_scoring.nurture"),
            include_str!("../../../examples/cart_recovery.nurture"),
            include_str!("../../../examples/coupon_leadgen.nurture"),
            include_str!("../../../examples/ebook_welcome.nurture"),
            include_str!("../../../examples/fashion_segments.nurture"),
            include_str!("../../../examples/post_purchase.nurture"),
            // Comments and blank lines around and between, a BOM, no final newline.
            "\u{FEFF}// a\n\n  list a = true // b\n// c\r\nlist b = a\t\n\n// end",
            "list a = true",
            "",
            "// only a comment",
        ];
        for src in sources {
            let whole = parse_rule(src, src, Rule::file, 0).expect("parses");
            let items = parse_items(src).expect("parses");
            assert_eq!(items, whole, "{src}");
        }
        // The first declaration that does not parse sends the file to the whole reading.
        assert!(parse_items("list a = true\nlist b = = \nlist c = a\n").is_none());
    }

    #[test]
    fn parses_the_contract() {
        let src = include_str!("../../../tests/fixtures/contract.nurture");
        let file = ok(src);
        assert!(file.items.len() > 20);
    }

    #[test]
    fn not_binds_looser_than_history() {
        let file = ok("list x = did a.b within 1d and not did c.d within 1d");
        let Item::List(l) = &file.items[0] else {
            panic!()
        };
        let ExprKind::Binary {
            op: BinOp::And,
            rhs,
            ..
        } = &l.cond.kind
        else {
            panic!("{:?}", l.cond)
        };
        assert!(matches!(rhs.kind, ExprKind::Not(_)));
    }

    #[test]
    fn where_runs_to_within() {
        let file = ok("list x = count e.f where a == 1 and b == 2 within 3d >= 2");
        let Item::List(l) = &file.items[0] else {
            panic!()
        };
        let ExprKind::Binary {
            op: BinOp::Ge, lhs, ..
        } = &l.cond.kind
        else {
            panic!("{:?}", l.cond)
        };
        let ExprKind::History(h) = &lhs.kind else {
            panic!()
        };
        assert!(matches!(
            h.filter.as_ref().unwrap().kind,
            ExprKind::Binary { op: BinOp::And, .. }
        ));
        assert_eq!(h.within.unwrap().seconds, 3 * 86_400);
    }

    #[test]
    fn once_is_not_read_as_on() {
        let file = ok("workflow w { enroll once per 90d wait 1d }");
        let Item::Workflow(w) = &file.items[0] else {
            panic!()
        };
        assert!(matches!(
            w.settings[0],
            WorkflowSetting::Enroll(Enroll::OncePer(_), _)
        ));
    }

    #[test]
    fn a_missing_unit_gets_a_hint() {
        let (_, diags) = parse("workflow w { wait 3 }");
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("a duration such as `3d`"),
            "{}",
            diags[0].message
        );
        assert!(diags[0].help.as_deref().unwrap_or("").contains("`3d`"));
    }

    #[test]
    fn every_broken_declaration_is_reported() {
        let (_, diags) =
            parse("list a = \nlist b = did x.y\nscore s { when add 1 }\nworkflow w { wait }\n");
        assert_eq!(diags.len(), 3, "{diags:#?}");
    }

    #[test]
    fn strings_interpolate_and_escape() {
        let file = ok(r#"on enter hot notify sales "a {lead.email} {{b}} \"c\"""#);
        let Item::Trigger(t) = &file.items[0] else {
            panic!()
        };
        let StepKind::Notify { message, .. } = &t.action.kind else {
            panic!()
        };
        assert_eq!(message.parts.len(), 3);
        assert_eq!(message.display(), "a {…} {b} \"c\"");
    }

    #[test]
    fn regex_keeps_backslashes() {
        let file = ok(r#"list x = lead.email matches "^\d+\.com$""#);
        let Item::List(l) = &file.items[0] else {
            panic!()
        };
        let ExprKind::Matches { regex, .. } = &l.cond.kind else {
            panic!()
        };
        assert_eq!(regex, r"^\d+\.com$");
    }

    #[test]
    fn bad_time_of_day_is_reported() {
        let (_, diags) = parse("policy { quiet hours 25:00 to 08:00 }");
        assert_eq!(diags[0].code, Code::BadLiteral);
    }
}
