//! The example campaigns in `examples/` are what a new user copies first, so each must check
//! with no diagnostic at all: no error and no warning.

use nurture::check::check_source;
use nurture::diag::human;
use std::path::{Path, PathBuf};

/// The examples this suite expects; a new file in `examples/` is checked too.
const EXPECTED: &[&str] = &[
    "b2b_scoring.nurture",
    "cart_recovery.nurture",
    "coupon_leadgen.nurture",
    "ebook_welcome.nurture",
    "fashion_segments.nurture",
    "post_purchase.nurture",
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "nurture"))
        .collect();
    files.sort();
    files
}

/// Checks one example and returns its rendered diagnostics, or `None` when it is clean.
fn problems(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = format!("examples/{}", path.file_name().unwrap().to_string_lossy());
    let checked = check_source(&name, &bytes);
    if checked.report.diagnostics.is_empty() {
        assert!(
            checked.program.is_some(),
            "{name}: no diagnostics but no program either"
        );
        None
    } else {
        Some(human::render_all(&[checked.report], false))
    }
}

#[test]
fn every_expected_example_exists() {
    let names: Vec<String> = example_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in EXPECTED {
        assert!(
            names.iter().any(|n| n == want),
            "examples/{want} is missing; found {names:?}"
        );
    }
}

#[test]
fn every_example_checks_with_no_diagnostics() {
    let failures: Vec<String> = example_files().iter().filter_map(|p| problems(p)).collect();
    assert!(
        failures.is_empty(),
        "{} example(s) have diagnostics:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One test per example as well, so a failure names its file in the test list.
macro_rules! example {
    ($($test:ident => $file:literal;)*) => {
        $(
            #[test]
            fn $test() {
                let path = examples_dir().join($file);
                if let Some(report) = problems(&path) {
                    panic!("examples/{} has diagnostics:\n{report}", $file);
                }
            }
        )*
    };
}

example! {
    ebook_welcome_is_clean => "ebook_welcome.nurture";
    cart_recovery_is_clean => "cart_recovery.nurture";
    post_purchase_is_clean => "post_purchase.nurture";
    b2b_scoring_is_clean => "b2b_scoring.nurture";
    fashion_segments_is_clean => "fashion_segments.nurture";
    coupon_leadgen_is_clean => "coupon_leadgen.nurture";
}
