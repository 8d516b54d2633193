//! `nurture compile CAMPAIGN -o FILE.nbc`: check and compile a campaign to a program file.

use super::check::display;
use super::{print_stdout, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use nurture::check::check_source;
use nurture::compile::file::{self, SourceText};
use nurture::compile::{compile, Compiled};
use nurture::diag::{self, FileReport};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Compile a campaign to a program file (`.nbc`)
///
/// The file holds the bytecode, dispatch tables and lead-state layout the VM runs, and the
/// campaign's source, so `nurture disasm FILE.nbc` can show source lines. The campaign is checked first; its warnings are shown on standard error. Exit code 0
/// when the file is written, 1 when the campaign has errors (they are shown), 2 for a usage
/// error or a file that cannot be read or written.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The campaign file.
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: PathBuf,

    /// Where to write the program. Default: the campaign's path with the extension `.nbc`.
    #[arg(short, long, value_name = "FILE.nbc")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &CompileArgs) -> u8 {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.campaign.with_extension("nbc"));
    if output == args.campaign {
        eprintln!(
            "nurture compile: the output {} is the campaign itself; name another with -o",
            output.display()
        );
        return EXIT_USAGE;
    }
    let (program, source) = match load_campaign("compile", &args.campaign, true) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let bytes = file::write(&program, Some(&source));
    if let Err(e) = std::fs::write(&output, &bytes) {
        eprintln!("nurture compile: cannot write {}: {e}", output.display());
        return EXIT_USAGE;
    }
    print_stdout(&format!(
        "wrote {}: {} bytes, lead state {} bytes\n",
        display(&output),
        bytes.len(),
        program.layout.size as u64 * 4
    ));
    EXIT_OK
}

/// Reads, checks and compiles a campaign file for the command `cmd`: the program and its
/// source, or the exit code after the problems were reported on standard error (2 for an
/// unreadable file, 1 for a campaign with errors). Warnings are shown when `warnings` is set.
pub(super) fn load_campaign(
    cmd: &str,
    path: &Path,
    warnings: bool,
) -> Result<(Compiled, SourceText), u8> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("nurture {cmd}: cannot read {}: {e}", path.display());
            return Err(EXIT_USAGE);
        }
    };
    let name = display(path);
    if file::is_compiled(&bytes) {
        eprintln!("nurture {cmd}: {name} is already a compiled program, not a campaign");
        return Err(EXIT_USAGE);
    }
    let checked = check_source(&name, &bytes);
    let Some(program) = checked.program else {
        eprint!("{}", render(checked.report));
        return Err(EXIT_PROBLEMS);
    };
    let report = checked.report;
    let source = SourceText {
        name: report.file.name.clone(),
        text: report.file.text.clone(),
    };
    if warnings && report.warnings() > 0 {
        eprint!("{}", render(report));
    }
    match compile(&program) {
        Ok(c) => Ok((c, source)),
        Err(e) => {
            eprint!(
                "{}",
                render(FileReport::new(
                    diag::SourceFile {
                        name: source.name.clone(),
                        text: source.text.clone(),
                    },
                    vec![e.diagnostic()]
                ))
            );
            Err(EXIT_PROBLEMS)
        }
    }
}

/// Diagnostics as human output for standard error: in colour only on a terminal, and never
/// when NO_COLOR is set.
pub(super) fn render(report: FileReport) -> String {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = !no_color && std::io::stderr().is_terminal();
    diag::render(&[report], diag::Format::Human, color)
}
