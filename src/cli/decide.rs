//! `nurture decide CAMPAIGN --state DB --lead ID NAME`: a decision for one lead, answered from
//! a state database as `nurture serve` answers `GET /v1/leads/{id}/decide/{name}` and the
//! REPL `:decide ID NAME`. A lead the state has never seen gets the decision for a new lead.

use super::{print_stdout, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::{Args, ValueEnum};
use nurture::check::check_source;
use nurture::compile::compare::same_behaviour;
use nurture::compile::Compiled;
use nurture::inspect::decide::{self, decision_json, DecisionWhy};
use nurture::inspect::Explainer;
use nurture::lang::format;
use nurture::repl::Style;
use nurture::runtime::store::Store;
use nurture::vm::machine::Machine;
use std::path::PathBuf;

/// Answer a decision (`decide NAME { … }`) for one lead from a state database: the row chosen,
/// its value and why, row by row with the values each condition read.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The campaign file (or its `.nbc`) that wrote the state.
    #[arg(value_name = "CAMPAIGN")]
    pub campaign: PathBuf,

    /// The decision's name, as the campaign declares it (`decide homepage_cta { … }`).
    #[arg(value_name = "NAME")]
    pub name: String,

    /// The database written by `nurture run --state DB` or `nurture serve --state DB`.
    #[arg(long, value_name = "DB")]
    pub state: PathBuf,

    /// The lead to decide for; an id the state has never seen gets the decision for a new
    /// lead.
    #[arg(long, value_name = "ID")]
    pub lead: String,

    /// `text`: the decision and each row tried, as the REPL's `:decide` prints it. `json`:
    /// one object, as `GET /v1/leads/{id}/decide/{name}` answers (docs/serve.md).
    #[arg(long, value_enum, default_value_t = DecideFormat::Text, value_name = "FORMAT")]
    pub format: DecideFormat,
}

/// How `nurture decide` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecideFormat {
    Text,
    Json,
}

/// Why the decision could not be answered.
enum DecideError {
    State(String),
    Changed(PathBuf),
    NoDecision(String, Vec<String>),
}

impl std::fmt::Display for DecideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecideError::State(e) => f.write_str(e),
            DecideError::Changed(db) => write!(
                f,
                "{} was written by a different version of the campaign: run the campaign on it \
                 first (`nurture run CAMPAIGN --state DB`, which migrates it)",
                db.display()
            ),
            DecideError::NoDecision(name, names) => write!(
                f,
                "the campaign has no decision {} (its decisions: {})",
                format::escaped(name),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        }
    }
}

pub fn run(args: &DecideArgs) -> u8 {
    let (compiled, source) = match super::run::load_program(&args.campaign, "nurture decide") {
        Ok(x) => x,
        Err(code) => return code,
    };
    match answer(args, compiled, source.map(|s| s.text)) {
        Ok(text) => {
            print_stdout(&text);
            EXIT_OK
        }
        Err(e @ DecideError::NoDecision(..)) => {
            eprintln!("nurture decide: {e}");
            EXIT_PROBLEMS
        }
        Err(e) => {
            eprintln!("nurture decide: {e}");
            EXIT_USAGE
        }
    }
}

fn answer(
    args: &DecideArgs,
    compiled: Compiled,
    source: Option<String>,
) -> Result<String, DecideError> {
    let state = |e: &dyn std::fmt::Display| DecideError::State(e.to_string());
    let store = Store::open_read_only(&args.state).map_err(|e| state(&e))?;
    let stored = store
        .program()
        .map_err(|e| state(&e))?
        .ok_or_else(|| DecideError::State("the state records no program".into()))?;
    let stored = Compiled::load(&stored)
        .map_err(|e| state(&e.describe(&args.state.display().to_string())))?;
    if !same_behaviour(&stored, &compiled) {
        return Err(DecideError::Changed(args.state.clone()));
    }
    let Some(d) = decide::find_in(&compiled, &args.name) else {
        let names = compiled.decisions.iter().map(|d| d.name.clone()).collect();
        return Err(DecideError::NoDecision(args.name.clone(), names));
    };
    let mut m = Machine::new(compiled);
    store.load_machine(&mut m).map_err(|e| state(&e))?;
    // The campaign checked again explains each row with the values it read.
    let program = source.as_deref().and_then(|text| {
        let name = args.campaign.display().to_string();
        check_source(&name, text.as_bytes()).program
    });
    let explain = |m: &Machine, lead: u32| -> DecisionWhy {
        match (&program, &source) {
            (Some(program), Some(source)) => Explainer { m, program, source }.decision(lead, d),
            _ => decide::decision(m, lead, d),
        }
    };
    let (why, new) = match m.find_lead(&args.lead) {
        Some(lead) => (explain(&m, lead), false),
        None => (m.with_new_lead(|m, lead| explain(m, lead)), true),
    };
    Ok(match args.format {
        DecideFormat::Json => {
            let mut line = format::json_line(&decision_json(&why, &args.lead, new, m.now));
            line.push('\n');
            line
        }
        DecideFormat::Text => nurture::repl::decide::explained(
            &why,
            &format::escaped(&args.lead),
            new,
            Style::plain(),
        ),
    })
}
