//! `nurture disasm CAMPAIGN|FILE.nbc`: the compiled program as readable text.

use super::check::display;
use super::compile::load_campaign;
use super::{print_stdout, EXIT_OK, EXIT_USAGE};
use clap::Args;
use nurture::compile::disasm::disasm;
use nurture::compile::file;
use std::path::PathBuf;

/// Show a compiled program: bytecode with source lines, lead-state layout, dispatch tables
///
/// Lists every chunk of bytecode and every workflow step with its operands by name and the
/// source line it came from, the lead-state slab, the history aggregates and the dispatch
/// tables; docs/bytecode.md explains them. Takes a campaign (checked and compiled first) or a program file written by `nurture
/// compile`. Exit code 0 when the listing is printed, 1 when the campaign has errors, 2 for
/// a file that cannot be read or a program file that cannot be loaded.
#[derive(Debug, Args)]
pub struct DisasmArgs {
    /// A campaign file, or a compiled `.nbc` file.
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub file: PathBuf,
}

pub fn run(args: &DisasmArgs) -> u8 {
    let path = &args.file;
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("nurture disasm: cannot read {}: {e}", path.display());
            return EXIT_USAGE;
        }
    };
    let is_nbc = path.extension().is_some_and(|e| e == "nbc");
    let listing = if file::is_compiled(&bytes) || is_nbc {
        match file::read(&bytes) {
            Ok(f) => disasm(&f.program, f.source.as_ref()),
            Err(e) => {
                eprintln!("nurture disasm: {}", e.describe(&display(path)));
                return EXIT_USAGE;
            }
        }
    } else {
        match load_campaign("disasm", path, false) {
            Ok((program, source)) => disasm(&program, Some(&source)),
            Err(code) => return code,
        }
    };
    print_stdout(&listing);
    EXIT_OK
}
