//! A live run: the engine over events as they arrive and timers as they fall due on the
//! service's clock, committed to the state database with the actions they produce put in
//! the outbox in the same transaction (docs/serve.md). It does no I/O of its own beyond the
//! database: the service (`nurture serve`) brings batches, the clock and the deliveries.
//!
//! A batch is all or nothing: every event is checked first, and one bad event rejects the
//! batch with nothing applied. An event whose `messageId` was accepted before is
//! acknowledged and not applied again.

use super::durable::{self, MigrationReport, Opened, Output, RunError};
use super::engine::{Engine, Options};
use super::intake::Problem;
use super::outbox::{self, Entry, Settled};
use super::output;
use super::store::{Position, Store};
use crate::compile::file::SourceText;
use crate::compile::{compare, Compiled};
use crate::vm::action::Action;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// How long accepted message ids are remembered: clients retry within minutes; Segment's
/// own deduplication window is a day.
pub const REMEMBER_IDS_FOR: i64 = 24 * 3600 * 1000;
/// How many message ids are kept in memory; older ones (within the day) are looked up in
/// the database.
pub const IDS_IN_MEMORY: usize = 1 << 20;
/// The `input` a service's commits record in the state's position.
pub const INPUT_NAME: &str = "(nurture serve)";

/// One event of a batch: its line (a Segment call as JSON) and its message id.
pub struct Event<'a> {
    pub line: &'a str,
    pub message_id: Option<&'a str>,
}

/// An event of a batch that cannot be applied, by its place in the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BadEvent {
    pub index: usize,
    pub reason: Problem,
}

/// What became of an accepted batch.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Accepted {
    /// Events applied (skipped ones included: they are counted as `run` counts them).
    pub applied: usize,
    /// Events whose message id was accepted before.
    pub duplicates: usize,
}

/// Message ids accepted within [`REMEMBER_IDS_FOR`], the newest in memory.
struct RecentIds {
    at: HashMap<String, i64>,
    order: VecDeque<(i64, String)>,
    /// Ids younger than this may have left memory for lack of room: look them up.
    evicted_until: i64,
}

impl RecentIds {
    fn knows(&self, id: &str) -> Option<bool> {
        if self.at.contains_key(id) {
            Some(true)
        } else if self.evicted_until == i64::MIN {
            Some(false)
        } else {
            None
        }
    }

    fn add(&mut self, id: String, at: i64) {
        self.at.insert(id.clone(), at);
        self.order.push_back((at, id));
        while let Some((first, _)) = self.order.front() {
            let old = *first < at - REMEMBER_IDS_FOR;
            let full = self.order.len() > IDS_IN_MEMORY;
            if !old && !full {
                break;
            }
            let (first, id) = self.order.pop_front().expect("a front");
            self.at.remove(&id);
            if full && !old {
                self.evicted_until = self.evicted_until.max(first);
            }
        }
    }
}

/// What a commit wrote.
pub struct Committed {
    /// New outbox entries, to deliver.
    pub entries: Vec<Entry>,
    /// The actions committed, by kind.
    pub actions_by_kind: BTreeMap<&'static str, u64>,
}

/// How a live run is set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveSetup {
    /// Also record list entries and exits.
    pub memberships: bool,
    /// Put actions in the outbox for delivery.
    pub deliver: bool,
}

/// What a reload of the campaign came to.
pub enum Reloaded {
    /// The same program: nothing to do.
    Same,
    /// Only comments or line positions moved: the state goes on under the new source.
    Relined,
    /// The behaviour changed, and the state was migrated to it.
    Migrated(MigrationReport),
}

/// The engine, its state and what waits to be committed.
pub struct Live {
    engine: Engine,
    store: Store,
    position: Position,
    out: Option<Box<dyn Output + Send>>,
    memberships: bool,
    /// Whether actions go to the outbox for delivery (the service has routes).
    deliver: bool,
    /// Whether the state changed since the last commit (an event applied, a timer fired).
    changed: bool,
    /// Actions since the last commit, as (id, record) pairs.
    actions: Vec<(String, String)>,
    /// Those actions counted by kind.
    kinds: BTreeMap<&'static str, u64>,
    settled: Vec<Settled>,
    ids: RecentIds,
    new_ids: Vec<(String, i64)>,
    /// The clock at the last commit.
    clock: i64,
    /// The campaign as checked, to explain a lead's scores rule by rule.
    explained: Option<Explained>,
}

/// The checked campaign and its text: what `inspect::Explainer` reads.
struct Explained {
    program: crate::check::program::Program,
    source: String,
}

impl Explained {
    fn of(source: Option<&SourceText>) -> Option<Explained> {
        let src = source?;
        let checked = crate::check::check_source(&src.name, src.text.as_bytes());
        Some(Explained {
            program: checked.program?,
            source: src.text.clone(),
        })
    }
}

/// Collects the actions of one step of the engine, stamped for a live record.
struct Stamp<'a> {
    now: i64,
    memberships: bool,
    into: &'a mut Vec<(String, String)>,
    kinds: &'a mut BTreeMap<&'static str, u64>,
}

impl crate::vm::machine::Sink for Stamp<'_> {
    fn action(&mut self, action: Action) {
        if action.kind.is_membership() && !self.memberships {
            return;
        }
        *self.kinds.entry(action.kind.name()).or_default() += 1;
        self.into
            .push((format!("{:016x}", action.id), record(&action, self.now)));
    }
}

/// How late a timer's action may run and still be written as on time: the service wakes for
/// its timers within a quarter of a second.
pub const LATE_AFTER_MS: i64 = 1000;

/// An action's record as the service writes it: as `run` writes it, and for an action of a
/// timer that fell due while the service was down (or busy), stamped with the time it ran
/// and how late that was, in seconds.
pub fn record(action: &Action, now: i64) -> String {
    let mut json = output::to_json(action);
    let late = now - action.at;
    if late >= LATE_AFTER_MS {
        if let Some(map) = json.as_object_mut() {
            map.insert("at".into(), crate::lang::format::instant(now).into());
            map.insert("late_by".into(), (late as f64 / 1000.0).into());
        }
    }
    json.to_string()
}

impl Live {
    /// A live run over an opened state. `out`, when given, receives every record too.
    pub fn new(
        opened: Opened,
        out: Option<Box<dyn Output + Send>>,
        setup: LiveSetup,
        now: i64,
    ) -> Result<Live, RunError> {
        let Opened {
            engine,
            store,
            mut position,
            ..
        } = opened;
        outbox::ensure(store.connection()).map_err(|e| store.error(e))?;
        let mut ids = RecentIds {
            at: HashMap::new(),
            order: VecDeque::new(),
            evicted_until: i64::MIN,
        };
        let recent = outbox::recent_ids(store.connection(), now - REMEMBER_IDS_FOR)
            .map_err(|e| store.error(e))?;
        for (id, at) in recent {
            ids.add(id, at);
        }
        position.input = INPUT_NAME.into();
        position.done = true;
        let explained = Explained::of(store.source()?.as_ref());
        Ok(Live {
            engine,
            store,
            position,
            out,
            memberships: setup.memberships,
            deliver: setup.deliver,
            changed: false,
            actions: Vec::new(),
            kinds: BTreeMap::new(),
            settled: Vec::new(),
            ids,
            new_ids: Vec::new(),
            clock: now,
            explained,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The service's clock at the last commit.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// A lead as JSON (`inspect::lead_json`), or `None` when no lead has that id.
    pub fn lead(&self, id: &str) -> Option<serde_json::Value> {
        let m = &self.engine.machine;
        let lead = m.find_lead(id)?;
        Some(match &self.explained {
            Some(e) => {
                let ex = crate::inspect::Explainer {
                    m,
                    program: &e.program,
                    source: &e.source,
                };
                crate::inspect::lead_json_explained(&ex, lead, id)
            }
            None => crate::inspect::lead_json(m, lead, id),
        })
    }

    /// The decision named `name` for a lead, explained (`inspect::decide::decision_json`): a
    /// lead never seen gets the decision for a new lead. `None` when no decision has that name.
    pub fn decide(&mut self, id: &str, name: &str) -> Option<serde_json::Value> {
        use crate::inspect::decide;
        let m = &mut self.engine.machine;
        let d = decide::find_in(&m.c, name)?;
        let explained = &self.explained;
        let why = |m: &crate::vm::machine::Machine, lead: u32| match explained {
            Some(e) => crate::inspect::Explainer {
                m,
                program: &e.program,
                source: &e.source,
            }
            .decision(lead, d),
            None => decide::decision(m, lead, d),
        };
        let (w, new) = match m.find_lead(id) {
            Some(lead) => (why(m, lead), false),
            None => (m.with_new_lead(why), true),
        };
        Some(decide::decision_json(&w, id, new, m.now))
    }

    /// Up to `limit` members of the list named `name`, from the lead at index `from` on (the
    /// order leads were first seen), and where the next page starts; `None` when no list has
    /// that name.
    pub fn list_members(
        &self,
        name: &str,
        from: usize,
        limit: usize,
    ) -> Option<(Vec<String>, Option<usize>)> {
        let m = &self.engine.machine;
        let list = m.c.lists.iter().position(|l| l.name == name)? as u16;
        let mut members = Vec::new();
        for lead in from..m.leads.len() {
            if members.len() == limit {
                return Some((members, Some(lead)));
            }
            if m.leads[lead].in_list(&m.c, list) {
                members.push(m.lead_ids[lead].to_string());
            }
        }
        Some((members, None))
    }

    /// Changes the campaign under a running service, by the rules of `nurture run`: a
    /// program that behaves the same goes on at once; a change of behaviour is migrated with
    /// `migrate`, and refused without it (the running campaign goes on).
    pub fn reload(
        &mut self,
        compiled: Compiled,
        source: Option<SourceText>,
        options: &Options,
        migrate: bool,
        now: i64,
    ) -> Result<Reloaded, RunError> {
        // Compared with the program the state records, as a new run would compare it.
        let stored = self.store.program()?.unwrap_or_default();
        if stored == compiled.to_bytes() {
            self.explained = Explained::of(source.as_ref()).or(self.explained.take());
            return Ok(Reloaded::Same);
        }
        let old = Compiled::load(&stored)
            .map_err(|e| RunError::Program(e.describe(&self.store.path().display().to_string())))?;
        if !migrate && !compare::same_behaviour(&old, &compiled) {
            return Err(RunError::Changed {
                state: self.store.path().display().to_string(),
                differences: compare::differences(&old, &compiled),
            });
        }
        // Everything so far is committed under the old campaign; the state is then opened
        // again under the new one, as a new run would open it.
        self.commit(now)?;
        let path = self.store.path().to_path_buf();
        let store = std::mem::replace(&mut self.store, super::store::Store::open(&path, false)?);
        let state = path.display().to_string();
        let explained = Explained::of(source.as_ref());
        let opened = durable::open_state(store, &state, compiled, source, options, migrate)?;
        let Opened {
            engine,
            store,
            position,
            migrated,
        } = opened;
        self.engine = engine;
        self.store = store;
        self.explained = explained;
        self.position.out = position.out;
        Ok(match migrated {
            Some(report) => Reloaded::Migrated(report),
            None => Reloaded::Relined,
        })
    }

    /// Everything in the outbox still to deliver (after a restart: what the last run left,
    /// dead letters put back while it was down among them).
    pub fn pending(&self) -> Result<Vec<Entry>, RunError> {
        let conn = self.store.connection();
        outbox::take_revived(conn)
            .and_then(|_| outbox::pending(conn))
            .map_err(|e| self.store.error(e).into())
    }

    /// Dead letters put back in the queue (`nurture state DB --redeliver`) since the last
    /// call: to deliver now.
    pub fn revived(&self) -> Result<Vec<Entry>, RunError> {
        outbox::take_revived(self.store.connection()).map_err(|e| self.store.error(e).into())
    }

    /// When the next timer falls due.
    pub fn next_due(&self) -> Option<i64> {
        self.engine.machine.next_timer()
    }

    fn already_seen(&self, id: &str) -> Result<bool, RunError> {
        if let Some(known) = self.ids.knows(id) {
            return Ok(known);
        }
        outbox::seen(self.store.connection(), id).map_err(|e| self.store.error(e).into())
    }

    /// Checks a batch, then applies it at `now`: all of it, or none of it with the reason
    /// for each bad event.
    pub fn accept(&mut self, batch: &[Event<'_>], now: i64) -> Result<Accepted, Vec<BadEvent>> {
        // Each event is read once: all of them before any is applied.
        let mut reads = Vec::with_capacity(batch.len());
        let mut bad = Vec::new();
        for (index, e) in batch.iter().enumerate() {
            match self.engine.read_ahead(e.line) {
                Ok(read) => reads.push(read),
                Err(reason) => bad.push(BadEvent { index, reason }),
            }
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        self.fire(now);
        let mut accepted = Accepted::default();
        for (e, read) in batch.iter().zip(reads) {
            if let Some(id) = e.message_id {
                // A database that cannot be read is not a bad event: it is applied again,
                // which the action ids make harmless downstream.
                let in_batch = self.new_ids.iter().any(|(seen, _)| seen == id);
                if in_batch || self.already_seen(id).unwrap_or(false) {
                    accepted.duplicates += 1;
                    continue;
                }
                self.new_ids.push((id.to_string(), now));
            }
            self.position.line += 1;
            let mut sink = Stamp {
                now,
                memberships: self.memberships,
                into: &mut self.actions,
                kinds: &mut self.kinds,
            };
            self.engine
                .apply_at(read, self.position.line, now, &mut sink);
            accepted.applied += 1;
            self.changed = true;
        }
        Ok(accepted)
    }

    /// Fires every timer due by `now`, in due order.
    pub fn fire(&mut self, now: i64) {
        let mut sink = Stamp {
            now,
            memberships: self.memberships,
            into: &mut self.actions,
            kinds: &mut self.kinds,
        };
        while let Some(due) = self.engine.machine.next_timer().filter(|d| *d <= now) {
            self.engine.machine.advance_to(due, &mut sink);
            self.changed = true;
        }
    }

    /// Notes what became of a delivery; it is written with the next commit.
    pub fn settle(&mut self, settled: Settled) {
        self.settled.push(settled);
    }

    /// Whether anything waits to be committed.
    pub fn dirty(&self) -> bool {
        !self.actions.is_empty()
            || !self.settled.is_empty()
            || !self.new_ids.is_empty()
            || self.changed
    }

    /// Makes the output file durable, then commits the state, the new outbox rows, the
    /// settled deliveries and the accepted message ids in one transaction. Returns the new
    /// outbox entries, for delivery, and the actions by kind.
    pub fn commit(&mut self, now: i64) -> Result<Committed, RunError> {
        if let Some(out) = self.out.as_mut() {
            let write = |error| RunError::Write {
                what: "actions",
                error,
            };
            for (_, record) in &self.actions {
                out.write_all(record.as_bytes()).map_err(write)?;
                out.write_all(b"\n").map_err(write)?;
            }
            self.position.out = out.sync().map_err(write)?;
        }
        let mut actions = std::mem::take(&mut self.actions);
        if !self.deliver {
            actions.clear();
        }
        let settled = std::mem::take(&mut self.settled);
        let new_ids = std::mem::take(&mut self.new_ids);
        let mut entries = Vec::new();
        self.store
            .commit_with(&mut self.engine, &self.position, &mut |tx| {
                entries = outbox::insert(tx, &actions, now)?;
                outbox::settle(tx, &settled)?;
                outbox::remember(tx, &new_ids, now - REMEMBER_IDS_FOR)
            })?;
        for (id, at) in new_ids {
            self.ids.add(id, at);
        }
        self.clock = now;
        self.changed = false;
        Ok(Committed {
            entries,
            actions_by_kind: std::mem::take(&mut self.kinds),
        })
    }
}
