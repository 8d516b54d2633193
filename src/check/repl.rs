//! Checking what a marketer types at the REPL against a campaign already checked: one
//! expression (`total of ann`, `ann in hot`), or test statements (`lead ann { … }`, an event
//! for a lead). Only errors come back; warnings about REPL input would be noise.

use super::checker;
use super::program::{Expr, Program, Test};
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;
use crate::syntax::ast;

/// Checks one expression; `leads` are the session's lead ids, which `NAME of LEAD` and
/// `LEAD in LIST` may name (a `TestLeadId` in the result indexes `leads`).
pub fn check_expr_in(
    program: &Program,
    e: &ast::Expr,
    leads: &[String],
) -> Result<Expr, Vec<Diagnostic>> {
    let (x, diags) = checker::repl_expr(program.clone(), e, leads);
    errors_or(x, diags)
}

/// Checks test statements as a test of their own: leads are numbered in order of first
/// mention (`Test::leads`).
pub fn check_test_stmts_in(
    program: &Program,
    stmts: Vec<ast::TestStmt>,
) -> Result<Test, Vec<Diagnostic>> {
    let span = stmts
        .iter()
        .map(stmt_span)
        .reduce(Span::to)
        .unwrap_or_default();
    let decl = ast::TestDecl {
        name: ast::StrLit {
            parts: vec![ast::StrPart::Text("repl".into())],
            span,
        },
        stmts,
        span,
    };
    let (t, diags) = checker::repl_test(program.clone(), &decl);
    errors_or(t, diags)
}

fn stmt_span(s: &ast::TestStmt) -> Span {
    match s {
        ast::TestStmt::Lead { span, .. }
        | ast::TestStmt::At { span, .. }
        | ast::TestStmt::After { span, .. } => *span,
        ast::TestStmt::Expect(x) => match x {
            ast::Expectation::Sent { span, .. }
            | ast::Expectation::InWorkflow { span, .. }
            | ast::Expectation::Converted { span, .. } => *span,
            ast::Expectation::Holds(e) => e.span,
        },
    }
}

fn errors_or<T>(value: T, diags: Vec<Diagnostic>) -> Result<T, Vec<Diagnostic>> {
    let errors: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| d.is_error())
        .map(reword)
        .collect();
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// The checker speaks of tests; at the REPL the leads belong to the session.
fn reword(mut d: Diagnostic) -> Diagnostic {
    if d.code == Code::UnknownName && d.message.starts_with("this test has no lead") {
        d.message = d
            .message
            .replace("this test has no lead", "this session has no lead");
        if let Some(help) = &d.help {
            d.help = Some(
                help.replace("leads in this test", "leads in this session")
                    .replace("`lead ", "`:lead "),
            );
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_text;
    use crate::check::program::{ExprKind, TestStmt};
    use crate::syntax::parser::{parse_expr, parse_test_stmts};

    const CAMPAIGN: &str = r#"
lead { email: string, size: int? }
event demo.booked { seats: int }
score fit { when lead.size >= 50 add 10 }
list big = fit >= 10
"#;

    fn program() -> Program {
        let (diags, program) = check_text(CAMPAIGN);
        program.unwrap_or_else(|| panic!("{diags:?}"))
    }

    #[test]
    fn an_expression_may_name_session_leads() {
        let p = program();
        let leads = vec!["ann".to_string()];
        let e = parse_expr("fit of ann").unwrap();
        let x = check_expr_in(&p, &e, &leads).unwrap();
        assert!(matches!(x.kind, ExprKind::Of { lead: 0, .. }));
        let e = parse_expr("ann in big").unwrap();
        let x = check_expr_in(&p, &e, &leads).unwrap();
        assert!(matches!(x.kind, ExprKind::LeadInList { lead: 0, .. }));
    }

    #[test]
    fn an_unknown_lead_is_reported_in_session_words() {
        let p = program();
        let e = parse_expr("fit of bob").unwrap();
        let errs = check_expr_in(&p, &e, &["ann".to_string()]).unwrap_err();
        assert_eq!(errs[0].message, "this session has no lead `bob` yet");
    }

    #[test]
    fn test_statements_get_typed_values() {
        let p = program();
        let stmts = parse_test_stmts("lead ann { size: 80 } after 0s ann demo.booked { seats: 3 }")
            .unwrap();
        let t = check_test_stmts_in(&p, stmts).unwrap();
        assert_eq!(t.leads, vec!["ann".to_string()]);
        assert!(matches!(&t.stmts[0], TestStmt::Lead { attrs, .. } if attrs.len() == 1));
        let stmts = parse_test_stmts("after 0s ann demo.booked { seats: \"x\" }").unwrap();
        let errs = check_test_stmts_in(&p, stmts).unwrap_err();
        assert_eq!(errs[0].code, Code::TypeMismatch);
    }
}
