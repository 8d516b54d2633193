//! The `nurture` command: the command line (`cli`) over the library, and the live service
//! (`serve`).

mod cli;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
