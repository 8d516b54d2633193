//! The `nurture` command: the command line (`cli`) over the library, the live service
//! (`serve`) and the language server (`lsp`).

mod cli;
mod lsp;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
