//! The engine end to end: campaigns with their tests run by the test runner, and focused
//! journeys asserting the exact actions.

use nurture::check::check_text;
use nurture::testing;

fn run_tests(src: &str) -> Vec<testing::TestReport> {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
    testing::run(&program).expect("compiles")
}

#[test]
fn the_contract_tests_pass() {
    let reports = run_tests(include_str!("fixtures/contract.nurture"));
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.passed(), "{}: {:#?}", r.name, r.failures);
    }
}
