//! `nurture lsp`: the command line of the language server (`src/lsp`).

use clap::Args;

/// Run the language server on standard input and output, for an editor to start.
///
/// It speaks the Language Server Protocol (JSON-RPC): diagnostics as you type with links to
/// their explanations and quick fixes, hover, go to definition, find references, rename,
/// completion, the outline, semantic tokens, folding and formatting. Editors start it
/// themselves; see docs/editors.md to wire it into VS Code, Neovim or Helix.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it (VS Code's client does): standard input and output
    /// are the only transport.
    #[arg(long)]
    pub stdio: bool,
}

/// Runs the server until the editor says `exit`; the exit code of the command.
pub fn run(_args: &LspArgs) -> u8 {
    match crate::lsp::serve_stdio() {
        Ok(()) => super::EXIT_OK,
        Err(e) => {
            eprintln!("nurture lsp: {e}");
            super::EXIT_USAGE
        }
    }
}
