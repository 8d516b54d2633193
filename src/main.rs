//! The `nurture` command: the command line (`cli`) over the library, the live service
//! (`serve`), the workers over NATS JetStream (`cluster`) and the language server (`lsp`).

mod cli;
mod cluster;
mod lsp;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
