//! The command line: clap subcommands, each a few lines over the library.
//!
//! This is the only place (with the REPL) that touches the terminal: the library returns
//! values and the commands here read files, print and choose exit codes.
//!
//! Exit codes, the same for every command and output format: 0 clean, 1 problems found,
//! 2 usage or I/O error.

mod check;
mod compile;
mod decide;
mod disasm;
mod explain;
pub(crate) mod files;
mod fmt;
mod graph;
pub(crate) mod logs;
mod lsp;
mod outbox;
mod repl;
mod repl_helper;
mod report;
pub(crate) mod run;
mod state;
mod test;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit code: nothing wrong.
pub const EXIT_OK: u8 = 0;
/// Exit code: problems found (diagnostics, failed tests, rejected input).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: a usage error, or a file that cannot be read or written.
pub const EXIT_USAGE: u8 = 2;

/// Nurture: a declarative language for marketing automation.
///
/// Score leads, build smart lists and run nurture workflows from one campaign file that a
/// marketer can read and an engineer can check and test.
#[derive(Debug, Parser)]
#[command(name = "nurture", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Check(check::CheckArgs),
    Cluster(crate::cluster::ClusterArgs),
    Compile(compile::CompileArgs),
    Decide(decide::DecideArgs),
    Disasm(disasm::DisasmArgs),
    Explain(explain::ExplainArgs),
    Fmt(fmt::FmtArgs),
    Graph(graph::GraphArgs),
    Lsp(lsp::LspArgs),
    Repl(repl::ReplArgs),
    Report(report::ReportArgs),
    Run(run::RunArgs),
    Serve(crate::serve::ServeArgs),
    State(state::StateArgs),
    Test(test::TestArgs),
    Worker(crate::cluster::WorkerArgs),
}

/// Parses the process's arguments, runs the command and returns its exit code.
pub fn main() -> ExitCode {
    ExitCode::from(run(std::env::args_os()))
}

/// Runs the command line given as arguments (the first is the program name).
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` land here too, with exit code 0; usage errors get 2.
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Cluster(args) => crate::cluster::run(&args),
        Command::Compile(args) => compile::run(&args),
        Command::Decide(args) => decide::run(&args),
        Command::Disasm(args) => disasm::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Repl(args) => repl::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Serve(args) => crate::serve::run(&args),
        Command::State(args) => state::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Worker(args) => crate::cluster::worker(&args),
    }
}

/// Whether to colour output on standard output: only on a terminal, and never when `NO_COLOR`
/// is set to a non-empty value (<https://no-color.org>).
pub fn use_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

/// Writes to standard output, ignoring a closed pipe (`nurture check … | head`).
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
