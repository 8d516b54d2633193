//! `nurture repl [CAMPAIGN]`: the interactive dry run. On a terminal it is a rustyline editor
//! (history, completion, highlighting, hints, multi-line input); otherwise it reads commands
//! line by line from standard input, with no prompts and no colour, so a journey script can
//! run in CI: `nurture repl campaign.nurture < journey.txt`.

use super::repl_helper::ReplHelper;
use super::{use_color, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use nurture::lang::format;
use nurture::repl::helper::open_brackets;
use nurture::repl::{Place, Reply, Session, Style};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// Try a campaign by hand: create leads, send events, move the clock, and ask why.
///
/// Commands start with `:` (`:help` lists them); anything else is an expression such as
/// `total of ann` or `ann in hot`. Every action is printed as it happens. With standard input
/// not a terminal, commands are read line by line without prompts; the exit code is then 1 if
/// any command failed.
#[derive(Debug, Args)]
pub struct ReplArgs {
    /// The campaign file (or `:load` one later).
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: Option<PathBuf>,

    /// When reading from a pipe, print each command before its output, as `> command`, and
    /// its errors after it (they also go to standard error): a transcript.
    #[arg(long)]
    pub echo: bool,

    /// Where to keep the history of commands [default: $NURTURE_HISTORY, else
    /// ~/.nurture_history].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

pub fn run(args: &ReplArgs) -> u8 {
    let interactive = std::io::stdin().is_terminal();
    let style = Style {
        color: interactive && use_color(),
    };
    let mut session = Session::new(style);
    if let Some(path) = &args.campaign {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("nurture repl: cannot read {}: {e}", path.display());
                return EXIT_USAGE;
            }
        };
        let reply = session.load_source(path, &bytes);
        if reply.error {
            eprint!("{}", reply.text);
            return EXIT_PROBLEMS;
        }
        if interactive {
            print!("{}", reply.text);
        }
    }
    if interactive {
        interactive_loop(&mut session, args)
    } else {
        script_loop(&mut session, args.echo)
    }
}

/// Reads commands from standard input, one per line (more while braces are open). Errors
/// name the line a command starts on; with `echo` they are also part of the transcript.
fn script_loop(session: &mut Session, echo: bool) -> u8 {
    let stdin = std::io::stdin();
    let mut failed = false;
    let mut pending = String::new();
    // The line the pending command starts on.
    let mut starts = 1;
    for (number, line) in (1u32..).zip(stdin.lock().lines()) {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("nurture repl: cannot read standard input: {e}");
                return EXIT_USAGE;
            }
        };
        if pending.is_empty() {
            starts = number;
        } else {
            pending.push('\n');
        }
        pending.push_str(&line);
        if open_brackets(&pending) > 0 {
            continue;
        }
        let input = std::mem::take(&mut pending);
        if echo && !input.trim().is_empty() {
            let shown: Vec<String> = input.lines().map(|l| format!("> {l}")).collect();
            write_out(&format!("{}\n", shown.join("\n")));
        }
        let place = Place {
            name: "<stdin>",
            line: starts,
        };
        let reply = session.run_from(&input, &place);
        failed |= reply.error;
        if reply.error && echo {
            write_out(&reply.text);
        }
        print_reply(&reply);
        if session.finished() {
            break;
        }
    }
    if !pending.trim().is_empty() {
        eprintln!(
            "nurture repl: the input ended inside braces: {}",
            pending.trim()
        );
        failed = true;
    }
    if failed {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn print_reply(reply: &Reply) {
    if reply.error {
        eprint!("{}", reply.text);
    } else {
        write_out(&reply.text);
    }
}

fn write_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

fn history_path(args: &ReplArgs) -> Option<PathBuf> {
    if let Some(p) = &args.history {
        return Some(p.clone());
    }
    if let Some(p) = std::env::var_os("NURTURE_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".nurture_history"))
}

fn interactive_loop(session: &mut Session, args: &ReplArgs) -> u8 {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_space(true)
        .max_history_size(5_000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut rl: Editor<ReplHelper, FileHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("nurture repl: cannot open the terminal: {e}");
            return EXIT_USAGE;
        }
    };
    rl.set_helper(Some(ReplHelper::new(session.vocabulary())));
    let history = history_path(args);
    if let Some(h) = &history {
        // A first session has no history file yet.
        let _ = rl.load_history(h);
    }
    println!("Nurture REPL: `:help` lists the commands, Tab completes, Ctrl-D leaves.");
    loop {
        if let Some(h) = rl.helper_mut() {
            h.vocab = session.vocabulary();
        }
        let prompt = match session.clock() {
            Some(t) => format!("{}> ", format::instant(t)),
            None => "nurture> ".to_string(),
        };
        match rl.readline(&prompt) {
            Ok(input) => {
                if !input.trim().is_empty() {
                    let _ = rl.add_history_entry(input.as_str());
                }
                let reply = session.run(&input);
                // On a terminal errors go with the rest, where the user is looking.
                write_out(&reply.text);
                if session.finished() {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("nurture repl: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = rl.save_history(h) {
            eprintln!(
                "nurture repl: cannot save the history to {}: {e}",
                h.display()
            );
        }
    }
    EXIT_OK
}
