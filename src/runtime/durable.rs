//! A durable run: the engine, its state database and its outputs driven together, so that a
//! run killed at any moment and started again emits exactly the actions of an uninterrupted
//! run (docs/durability.md). It does no I/O of its own: the input is any `BufRead`, and the
//! outputs are [`Output`]s that a front end opens (files for `nurture run`).
//!
//! The protocol, in short: a commit first makes the outputs durable (`Output::sync`), then
//! writes the touched leads, the counters and [`Position`] (the input offset and the
//! outputs' committed lengths) in one transaction. A resume loads the last commit, cuts the
//! outputs back to their committed lengths and reads the input on from the committed offset.

use super::engine::{Engine, Options, Summary};
use super::intake::Problem;
use super::lines::{Lines, Text};
use super::output;
use super::store::{InputMark, OutMark, Position, Store, StoreError};
use crate::compile::compare;
use crate::compile::file::SourceText;
use crate::compile::Compiled;
use crate::vm::action::Action;
use crate::vm::machine::{Machine, Sink};
use crate::vm::migrate;
use std::io::BufRead;

/// Where actions (or rejected lines) are written.
pub trait Output {
    /// Appends bytes; they may stay buffered until `sync`.
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Makes everything written durable, and says where the output stands now: `None` for
    /// an output that cannot be taken back on a resume (standard output, a device).
    fn sync(&mut self) -> std::io::Result<Option<OutMark>>;
}

/// The input of a run: lines, and a way to recognise the input again.
pub trait Input: BufRead {
    /// What the input's bytes before `offset` are ([`store::HEAD_BYTES`] from its start and
    /// [`store::TAIL_BYTES`] before `offset`), or `None` when it cannot be read again
    /// (standard input).
    fn mark(&mut self, offset: u64) -> std::io::Result<Option<InputMark>>;
}

/// Why a durable run could not go on.
#[derive(Debug)]
pub enum RunError {
    /// The state database.
    Store(StoreError),
    /// The campaign differs from the one the state was written by; no `--migrate`.
    Changed {
        state: String,
        differences: Vec<String>,
    },
    /// A state whose last run did not finish cannot be migrated.
    Unfinished {
        state: String,
        line: u64,
        input: String,
    },
    /// The stored program cannot be read.
    Program(String),
    /// The input could not be read.
    Read(std::io::Error),
    /// An output could not be written.
    Write {
        what: &'static str,
        error: std::io::Error,
    },
    /// `until` is earlier than the clock: time never goes back, so it cannot be reached.
    UntilPassed { until: i64, clock: i64 },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Store(e) => e.fmt(f),
            RunError::Changed { state, differences } => {
                writeln!(
                    f,
                    "{state} was written by another version of the campaign, which differs \
                     from this one:"
                )?;
                if differences.is_empty() {
                    writeln!(
                        f,
                        "  - details inside rules, conditions or amounts, or only the lines \
                         things are on"
                    )?;
                }
                for d in differences {
                    writeln!(f, "  - {d}")?;
                }
                f.write_str(
                    "run with --migrate to carry the state over by name (attributes, scores, lists, \
                     history, caps, and workflow runs by step label; whatever cannot be placed \
                     is reported), or use a new state database",
                )
            }
            RunError::Unfinished { state, line, input } => write!(
                f,
                "the last run with {state} stopped at line {line} of {input} before its end: \
                 finish it with the campaign it ran, then migrate"
            ),
            RunError::Program(e) => f.write_str(e),
            RunError::Read(e) => write!(f, "cannot read the events: {e}"),
            RunError::Write { what, error } => write!(f, "cannot write {what}: {error}"),
            RunError::UntilPassed { until, clock } => {
                let clock = crate::lang::format::instant(*clock);
                write!(
                    f,
                    "--until {} is earlier than the events already read: the clock is at \
                     {clock} and never goes back; give an --until from {clock} on, or leave it \
                     out",
                    crate::lang::format::instant(*until)
                )
            }
        }
    }
}

impl std::error::Error for RunError {}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> RunError {
        RunError::Store(e)
    }
}

/// What a migration reported, for the front end to print.
pub struct MigrationReport {
    pub differences: Vec<String>,
    pub migration: migrate::Migration,
}

/// A state database opened for a run, with the engine holding its state.
pub struct Opened {
    pub engine: Engine,
    pub store: Store,
    /// Where the last run stood.
    pub position: Position,
    /// Set when the state was migrated to the given program.
    pub migrated: Option<MigrationReport>,
}

/// Opens the state in `store` for `compiled`: a new state records the program; the same
/// program (or one that differs only in source positions) goes on; a changed one is refused,
/// or migrated with `migrate`.
pub fn open_state(
    mut store: Store,
    state_name: &str,
    compiled: Compiled,
    source: Option<SourceText>,
    options: &Options,
    migrate: bool,
) -> Result<Opened, RunError> {
    let program = compiled.to_bytes();
    let Some(stored) = store.program()? else {
        let mut engine = Engine::from_compiled(compiled, options);
        let position = Position {
            done: true,
            ..Position::default()
        };
        store.init(&program, source.as_ref(), &mut engine, &position)?;
        return Ok(Opened {
            engine,
            store,
            position,
            migrated: None,
        });
    };
    let same = stored == program;
    let old = Compiled::load(&stored).map_err(|e| {
        RunError::Program(match e {
            // A state is not recompiled: it is finished with the nurture that wrote it.
            crate::compile::file::LoadError::Version { found } => format!(
                "{state_name} was written by a nurture whose programs have format version \
                 {found}, and this one reads version {}: finish with that nurture, or start a \
                 new state (another --state file)",
                crate::compile::file::FORMAT_VERSION
            ),
            e => e.describe(state_name),
        })
    })?;
    if same || compare::same_behaviour(&old, &compiled) {
        if !same {
            // Only comments or line positions moved: the state carries on under the new source.
            store.replace_program(&program, source.as_ref())?;
        }
        let mut engine = Engine::from_compiled(compiled, options);
        engine.machine.set_journal(true);
        let position = store.load(&mut engine)?;
        return Ok(Opened {
            engine,
            store,
            position,
            migrated: None,
        });
    }
    let differences = compare::differences(&old, &compiled);
    if !migrate {
        return Err(RunError::Changed {
            state: state_name.to_string(),
            differences,
        });
    }
    let mut old_machine = Machine::new(old);
    let progress = store.load_machine(&mut old_machine)?;
    if !progress.position.done {
        return Err(RunError::Unfinished {
            state: state_name.to_string(),
            line: progress.position.line,
            input: progress.position.input,
        });
    }
    let mut engine = Engine::from_compiled(compiled, options);
    engine.machine.set_journal(true);
    let migration = migrate::migrate(&old_machine, &mut engine.machine);
    drop(old_machine);
    engine.restore_counters(progress.engine.clone());
    store.rewrite(&program, source.as_ref(), &mut engine, &progress.position)?;
    Ok(Opened {
        engine,
        store,
        position: progress.position,
        migrated: Some(MigrationReport {
            differences,
            migration,
        }),
    })
}

/// Whether the clock, now at `clock`, can still be moved to `until`: it never goes back.
pub fn until_reachable(until: i64, clock: i64) -> Result<(), RunError> {
    if until < clock {
        return Err(RunError::UntilPassed { until, clock });
    }
    Ok(())
}

/// A rejected input line.
pub struct Rejected<'a> {
    /// This run's rejects so far, this one included.
    pub count: u64,
    pub line: u64,
    pub reason: &'a Problem,
    pub text: &'a str,
}

/// Writes actions as JSON lines to an output, and remembers the first error.
struct ActionLines {
    out: Box<dyn Output>,
    memberships: bool,
    error: Option<std::io::Error>,
}

impl Sink for ActionLines {
    fn action(&mut self, action: Action) {
        if action.kind.is_membership() && !self.memberships {
            return;
        }
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(output::line(&action).as_bytes()) {
                self.error = Some(e);
            }
        }
    }
}

/// How a durable run is set up.
pub struct Setup {
    /// Also write list entries and exits.
    pub memberships: bool,
    /// Commit after this many input lines (and after as many timers fired by `until`).
    pub commit_every: u64,
}

/// A run in progress: the engine, its state (none for a run in memory), where the input
/// stands, and the outputs.
pub struct DurableRun {
    engine: Engine,
    store: Option<Store>,
    position: Position,
    actions: ActionLines,
    rejects: Option<Box<dyn Output>>,
    commit_every: u64,
    /// Rejects counted before this run began (they are kept with the state).
    rejected_before: u64,
}

impl DurableRun {
    /// A run over `engine`, writing to `actions` (and `rejects`). `position` says where the
    /// input stands: the committed position of a resumed run, or the start of a new input.
    pub fn new(
        engine: Engine,
        store: Option<Store>,
        position: Position,
        actions: Box<dyn Output>,
        rejects: Option<Box<dyn Output>>,
        setup: &Setup,
    ) -> DurableRun {
        let rejected_before = engine.summary().rejected;
        DurableRun {
            engine,
            store,
            position,
            actions: ActionLines {
                out: actions,
                memberships: setup.memberships,
                error: None,
            },
            rejects,
            commit_every: setup.commit_every.max(1),
            rejected_before,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn position(&self) -> &Position {
        &self.position
    }

    /// Rejects in this run alone (a state keeps counting across runs).
    pub fn rejected_now(&self) -> u64 {
        self.engine.summary().rejected - self.rejected_before
    }

    /// Reads the input to its end, line by line from where the position stands, committing
    /// every `commit_every` lines. `on_reject` hears of every rejected line; `on_progress` of
    /// the bytes read, now and then.
    pub fn read(
        &mut self,
        input: &mut dyn Input,
        on_reject: &mut dyn FnMut(&Rejected<'_>),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<(), RunError> {
        let mut lines = Lines::resume(&mut *input, self.position.line, self.position.offset);
        let mut since_commit = 0u64;
        while let Some(line) = lines.next_line().map_err(RunError::Read)? {
            let (line_no, end) = (line.number, line.end);
            let rejected = match line.text {
                Text::TooLong { blank: true, .. } => {
                    // A blank line, however long, is skipped as the engine skips blank lines.
                    self.engine.feed("", line_no, &mut self.actions);
                    None
                }
                Text::TooLong { start, .. } => {
                    self.engine.reject_external();
                    let quoted = String::from_utf8_lossy(&start[..start.len().min(1024)]);
                    Some((Problem::TooLong, format!("{quoted}…")))
                }
                Text::Bytes(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => self
                        .engine
                        .feed(text, line_no, &mut self.actions)
                        .map(|r| (r.reason, text.to_string())),
                    Err(_) => {
                        self.engine.reject_external();
                        Some((
                            Problem::NotUtf8,
                            String::from_utf8_lossy(bytes).into_owned(),
                        ))
                    }
                },
            };
            self.position.line = line_no;
            self.position.offset = end;
            if let Some((reason, text)) = rejected {
                self.reject(line_no, &reason, &text, on_reject)?;
            }
            if let Some(error) = self.actions.error.take() {
                return Err(RunError::Write {
                    what: "actions",
                    error,
                });
            }
            if line_no.is_multiple_of(4096) {
                on_progress(end);
            }
            since_commit += 1;
            if self.store.is_some() && since_commit >= self.commit_every {
                since_commit = 0;
                self.commit(Some(&mut **lines.get_mut()))?;
            }
        }
        if self.store.is_some() {
            self.position.mark = input
                .mark(self.position.offset)
                .map_err(RunError::Read)?
                .unwrap_or_default();
        }
        Ok(())
    }

    fn reject(
        &mut self,
        line: u64,
        reason: &Problem,
        text: &str,
        on_reject: &mut dyn FnMut(&Rejected<'_>),
    ) -> Result<(), RunError> {
        on_reject(&Rejected {
            count: self.rejected_now(),
            line,
            reason,
            text,
        });
        if let Some(r) = self.rejects.as_mut() {
            let record = serde_json::json!({
                "line": line,
                "reason": reason.to_string(),
                "kind": reason.kind(),
                "text": text,
            });
            r.write_all(format!("{record}\n").as_bytes())
                .map_err(|error| RunError::Write {
                    what: "rejects",
                    error,
                })?;
        }
        Ok(())
    }

    /// After the input: moves the clock to `until`, firing what is due, in batches of
    /// `commit_every` timers, each committed. An `until` the clock has passed is refused
    /// before anything fires.
    pub fn fire_until(&mut self, until: i64) -> Result<(), RunError> {
        until_reachable(until, self.engine.machine.now)?;
        let mut fired = 0u64;
        while let Some(due) = self.engine.machine.next_timer().filter(|d| *d <= until) {
            self.engine.machine.advance_to(due, &mut self.actions);
            fired += 1;
            if self.store.is_some() && fired.is_multiple_of(self.commit_every) {
                self.commit(None)?;
            }
        }
        self.engine.finish(Some(until), &mut self.actions);
        Ok(())
    }

    /// Ends the run: the input is finished, everything is written and committed.
    pub fn finish(mut self) -> Result<Summary, RunError> {
        self.position.done = true;
        self.commit(None)?;
        Ok(self.engine.summary())
    }

    /// Makes the outputs durable, then commits the state that produced them
    /// (docs/durability.md). Without a state database, only flushes the outputs.
    fn commit(&mut self, input: Option<&mut dyn Input>) -> Result<(), RunError> {
        if let Some(error) = self.actions.error.take() {
            return Err(RunError::Write {
                what: "actions",
                error,
            });
        }
        self.position.out = self.actions.out.sync().map_err(|error| RunError::Write {
            what: "actions",
            error,
        })?;
        if let Some(r) = self.rejects.as_mut() {
            self.position.rejects = r.sync().map_err(|error| RunError::Write {
                what: "rejects",
                error,
            })?;
        }
        let Some(store) = self.store.as_mut() else {
            return Ok(());
        };
        if let Some(input) = input {
            self.position.mark = input
                .mark(self.position.offset)
                .map_err(RunError::Read)?
                .unwrap_or_default();
        }
        store.commit(&mut self.engine, &self.position)?;
        Ok(())
    }
}
