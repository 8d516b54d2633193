//! `nurture explain CODE`: what a diagnostic code means, and how to fix it.

use super::{print_stdout, EXIT_OK, EXIT_USAGE};
use clap::Args;
use nurture::diag::pages::explain;
use nurture::diag::Code;

/// Explain a diagnostic code: what it means and how to fix it.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code, such as `E0101` or `w0103`, or its name, such as `unused-event`.
    #[arg(value_name = "CODE")]
    pub code: String,
}

pub fn run(args: &ExplainArgs) -> u8 {
    let Some(code) = Code::parse(&args.code) else {
        eprintln!(
            "nurture explain: `{}` is not a Nurture diagnostic code; codes look like E0101 or \
             W0103 (or a name such as unused-event), and docs/diagnostics.md lists them all",
            args.code.trim()
        );
        return EXIT_USAGE;
    };
    // The full section of docs/diagnostics.md; the one-line summary if a code has none yet.
    let mut text = explain(code.as_str()).unwrap_or_else(|| summary(code));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    print_stdout(&text);
    EXIT_OK
}

/// The one-line summary from the table of codes, with a pointer to the full documentation.
fn summary(code: Code) -> String {
    format!(
        "{} {} ({}): {}\n\nExamples of the problem and its fix: docs/diagnostics.md#{}\n",
        code.as_str(),
        code.name(),
        code.severity().as_str(),
        code.summary(),
        code.anchor()
    )
}
