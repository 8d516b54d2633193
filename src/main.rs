//! The `nurture` command: the command line (`cli`) over the library, the live service
//! (`serve`), and the workers over NATS JetStream (`cluster`).

mod cli;
mod cluster;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
