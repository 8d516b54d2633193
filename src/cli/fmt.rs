//! `nurture fmt FILES...`: rewrite campaign files in the canonical layout.

use super::check::{collect, display};
use super::compile::render;
use super::{print_stdout, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use nurture::diag::{FileReport, SourceFile};
use nurture::fmt::format;
use nurture::syntax::limits;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Format campaign files in the one canonical layout (docs/style-guide.md).
///
/// Files are rewritten in place; `-` reads standard input and writes the formatted text to
/// standard output. Only whitespace changes: indentation, spacing, blank lines between
/// declarations, aligned columns, long conditions broken at `and`/`or`; comments stay where
/// they were. A file with syntax errors is left untouched and its errors are shown.
///
/// Exit code 0 when every file is formatted (or was rewritten), 1 when --check or --diff finds
/// a file that would change or a file has syntax errors, 2 for a usage error or a file that
/// cannot be read or written.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Campaign files, or directories (searched recursively for `*.nurture` files), or `-`
    /// for standard input.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,

    /// Change nothing: name each file that would change, and exit 1 if any would (for CI).
    #[arg(long)]
    pub check: bool,

    /// Change nothing: print a unified diff of what would change, and exit 1 if anything
    /// would.
    #[arg(long)]
    pub diff: bool,
}

/// What became of one file.
enum Outcome {
    Unchanged,
    Changed,
    /// Syntax errors, already shown.
    Invalid,
}

pub fn run(args: &FmtArgs) -> u8 {
    let stdin = Path::new("-");
    let (dash, paths): (Vec<PathBuf>, Vec<PathBuf>) =
        args.files.iter().cloned().partition(|p| p == stdin);
    if dash.len() > 1 {
        eprintln!("nurture fmt: `-` (standard input) can be given once");
        return EXIT_USAGE;
    }
    let files = match collect(&paths) {
        Ok(files) => files,
        Err(messages) => {
            for m in messages {
                eprintln!("nurture fmt: {m}");
            }
            return EXIT_USAGE;
        }
    };
    let mut outcomes = Vec::new();
    if !dash.is_empty() {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            eprintln!("nurture fmt: cannot read standard input: {e}");
            return EXIT_USAGE;
        }
        outcomes.push(one(args, "<stdin>", &bytes, |text| {
            print_stdout(text);
            Ok(())
        }));
    }
    for path in &files {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("nurture fmt: cannot read {}: {e}", path.display());
                return EXIT_USAGE;
            }
        };
        outcomes.push(one(args, &display(path), &bytes, |text| write(path, text)));
    }
    let mut code = EXIT_OK;
    for outcome in outcomes {
        match outcome {
            Err(message) => {
                eprintln!("nurture fmt: {message}");
                return EXIT_USAGE;
            }
            Ok(Outcome::Invalid) => code = EXIT_PROBLEMS,
            Ok(Outcome::Changed) if args.check || args.diff => code = EXIT_PROBLEMS,
            Ok(_) => {}
        }
    }
    code
}

/// Formats one file's bytes: shows its errors, or names it, prints its diff or hands the
/// formatted text to `put` (which writes it back, or to standard output for `-`).
fn one(
    args: &FmtArgs,
    name: &str,
    bytes: &[u8],
    put: impl FnOnce(&str) -> Result<(), String>,
) -> Result<Outcome, String> {
    let text = match limits::decode(bytes) {
        Ok(text) => text,
        Err(diag) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            show(name, &text, vec![diag]);
            return Ok(Outcome::Invalid);
        }
    };
    let formatted = match format(text) {
        Ok(formatted) => formatted,
        Err(e) => {
            show(name, text, e.diagnostics);
            return Ok(Outcome::Invalid);
        }
    };
    let changed = formatted != text;
    if args.check && changed {
        print_stdout(&format!("{name}\n"));
    }
    if args.diff && changed {
        let diff = similar::TextDiff::from_lines(text, &formatted);
        let unified = diff
            .unified_diff()
            .context_radius(3)
            .header(name, name)
            .to_string();
        print_stdout(&unified);
    }
    if !args.check && !args.diff && (changed || name == "<stdin>") {
        put(&formatted)?;
    }
    Ok(if changed {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
}

fn show(name: &str, text: &str, diagnostics: Vec<nurture::diag::Diagnostic>) {
    eprint!(
        "{}",
        render(FileReport::new(
            SourceFile {
                name: name.to_string(),
                text: text.to_string(),
            },
            diagnostics,
        ))
    );
}

/// Replaces a file's text: written beside it and renamed over it, so that a failure midway
/// leaves the file as it was; its permissions are kept.
fn write(path: &Path, text: &str) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".fmt-tmp");
    let tmp = PathBuf::from(tmp);
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    std::fs::write(&tmp, text).map_err(fail)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&tmp, meta.permissions()).map_err(fail)?;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}
