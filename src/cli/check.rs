//! `nurture check FILES...`: type-check campaign files and report every problem.

use super::{print_stdout, use_color, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use nurture::check::check_source;
use nurture::diag::{self, FileReport, Format};

/// `--format`: the library's `diag::Format`, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Sarif,
    Github,
}

impl From<CheckFormat> for Format {
    fn from(f: CheckFormat) -> Format {
        match f {
            CheckFormat::Human => Format::Human,
            CheckFormat::Json => Format::Json,
            CheckFormat::Sarif => Format::Sarif,
            CheckFormat::Github => Format::Github,
        }
    }
}
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Check campaign files: syntax, names, types and lints, without running anything.
///
/// Exit code 0 when there is no error (warnings are shown but do not fail unless
/// --deny-warnings), 1 when there is an error, 2 for a usage error or a file that cannot be
/// read. The exit code is the same in every output format.
///
/// Silence a warning on one line with `// nurture: ignore W0103` on that line or the line
/// before, or in the whole file with `// nurture: ignore-file W0103`. Errors cannot be
/// silenced.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Campaign files to check. A directory is searched recursively for `*.nurture` files
    /// (in sorted order, skipping hidden directories).
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,

    /// How to print diagnostics: `human` (ariadne reports, in colour on a terminal unless
    /// NO_COLOR is set), `json` (one object per line), `sarif` (SARIF 2.1.0, for code
    /// scanning) or `github` (GitHub Actions annotations; also writes a table to
    /// $GITHUB_STEP_SUMMARY when it is set).
    #[arg(long, value_enum, default_value_t = CheckFormat::Human, value_name = "FORMAT")]
    pub format: CheckFormat,

    /// Fail (exit code 1) on warnings as well as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(args: &CheckArgs) -> u8 {
    let files = match collect(&args.files) {
        Ok(files) => files,
        Err(messages) => {
            for m in messages {
                eprintln!("nurture check: {m}");
            }
            return EXIT_USAGE;
        }
    };
    let mut reports = Vec::with_capacity(files.len());
    let mut unreadable = false;
    for path in &files {
        match std::fs::read(path) {
            Ok(bytes) => reports.push(check_source(&display(path), &bytes).report),
            Err(e) => {
                eprintln!("nurture check: cannot read {}: {e}", path.display());
                unreadable = true;
            }
        }
    }
    if unreadable {
        return EXIT_USAGE;
    }

    print_stdout(&diag::render(&reports, args.format.into(), use_color()));

    if args.format == CheckFormat::Github {
        if let Some(summary_path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            if let Err(e) = append(Path::new(&summary_path), &diag::github::summary(&reports)) {
                eprintln!(
                    "nurture check: cannot write the step summary to {}: {e}",
                    Path::new(&summary_path).display()
                );
                return EXIT_USAGE;
            }
        }
    }
    exit_code(&reports, args.deny_warnings)
}

/// 1 when any file has an error (or a warning, with `deny_warnings`), else 0.
fn exit_code(reports: &[FileReport], deny_warnings: bool) -> u8 {
    let errors: usize = reports.iter().map(|r| r.errors()).sum();
    let warnings: usize = reports.iter().map(|r| r.warnings()).sum();
    if errors > 0 || (deny_warnings && warnings > 0) {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// The name a file goes by in diagnostics: the path as given, with `/` separators.
pub(super) fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The files to check: each argument that is not a directory as it is, and the `*.nurture`
/// files under each directory. Every problem is reported, not only the first.
pub(super) fn collect(args: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<String>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for arg in args {
        match std::fs::metadata(arg) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                if let Err(e) = walk(arg, &mut found) {
                    problems.push(format!("cannot read directory {}: {e}", arg.display()));
                    continue;
                }
                if found.is_empty() {
                    problems.push(format!("no .nurture files in {}", arg.display()));
                }
                found.sort();
                files.extend(found);
            }
            Ok(_) => files.push(arg.clone()),
            Err(e) => problems.push(format!("cannot read {}: {e}", arg.display())),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// Every `*.nurture` file under `dir`. Symbolic links to files count; links to directories
/// are not followed, so a link cycle cannot trap the walk.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !entry.file_name().to_string_lossy().starts_with('.') {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "nurture")
            && (kind.is_file() || path.is_file())
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/inner")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        for f in [
            "z.nurture",
            "a.nurture",
            "b/inner/c.nurture",
            "notes.txt",
            ".hidden/h.nurture",
        ] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let files = collect(&[root.to_path_buf()]).unwrap();
        let rel: Vec<String> = files
            .iter()
            .map(|p| display(p.strip_prefix(root).unwrap()))
            .collect();
        assert_eq!(rel, ["a.nurture", "b/inner/c.nurture", "z.nurture"]);
    }

    #[test]
    fn an_empty_directory_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = collect(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(err[0].contains("no .nurture files"), "{err:?}");
    }

    #[test]
    fn every_missing_path_is_reported() {
        let err = collect(&["nope-1.nurture".into(), "nope-2.nurture".into()]).unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(err[1].contains("nope-2.nurture"));
    }
}
