//! Checker unit tests: each names the codes a small campaign must (or must not) produce.

use super::check_text;
use crate::diag::Code;

fn codes(src: &str) -> Vec<Code> {
    check_text(src).0.into_iter().map(|d| d.code).collect()
}

fn show(src: &str) -> String {
    check_text(src)
        .0
        .iter()
        .map(|d| format!("{} {} {:?}\n", d.code, d.message, d.help))
        .collect()
}

#[test]
fn the_contract_has_no_errors() {
    let (diags, program) = check_text(include_str!("../../tests/fixtures/contract.nurture"));
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let program = program.unwrap();
    assert_eq!(program.workflows.len(), 4);
    assert_eq!(program.tests.len(), 2);
    // The sketch compares optional attributes bare: the checker warns there.
    assert!(
        diags.iter().all(|d| d.code == Code::BareOptional),
        "{}",
        show(include_str!("../../tests/fixtures/contract.nurture"))
    );
}
