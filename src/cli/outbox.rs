//! `nurture state DB --outbox` and `--redeliver`: the live service's deliveries, as its
//! outbox in the state database holds them (docs/serve.md, "Delivery").

use super::state::StateFormat;
use super::{print_stdout, EXIT_OK, EXIT_USAGE};
use nurture::lang::format;
use nurture::runtime::outbox::{self, DeadLetter, Entry};
use nurture::runtime::store::Store;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Lists what waits for delivery and the dead letters.
pub fn show(db: &Path, format: StateFormat) -> u8 {
    let read = || -> Result<(Vec<Entry>, Vec<DeadLetter>), String> {
        let store = Store::open_read_only(db).map_err(|e| e.to_string())?;
        let conn = store.connection();
        let sqlite = |e| store.error(e).to_string();
        if !outbox::exists(conn).map_err(sqlite)? {
            return Ok((Vec::new(), Vec::new()));
        }
        Ok((
            outbox::pending(conn).map_err(sqlite)?,
            outbox::dead_letters(conn).map_err(sqlite)?,
        ))
    };
    let (pending, dead) = match read() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("nurture state: {e}");
            return EXIT_USAGE;
        }
    };
    let out = match format {
        StateFormat::Json => {
            let mut line = format::json_line(&json!({
                "pending": pending.iter().map(entry_json).collect::<Vec<_>>(),
                "dead_letters": dead.iter().map(dead_json).collect::<Vec<_>>(),
            }));
            line.push('\n');
            line
        }
        StateFormat::Text => text(db, &pending, &dead),
    };
    print_stdout(&out);
    EXIT_OK
}

/// Puts dead letters back in the queue, those of one route or all.
pub fn redeliver(db: &Path, route: Option<&str>) -> u8 {
    let put_back = || -> Result<(usize, Vec<String>), String> {
        let store = Store::open(db, false).map_err(|e| e.to_string())?;
        let conn = store.connection();
        let sqlite = |e| store.error(e).to_string();
        if !outbox::exists(conn).map_err(sqlite)? {
            return Ok((0, Vec::new()));
        }
        let n = outbox::redeliver(conn, route).map_err(sqlite)?;
        let mut left: Vec<String> = outbox::dead_letters(conn)
            .map_err(sqlite)?
            .into_iter()
            .map(|d| d.route)
            .collect();
        // In outbox order a route comes back between others: sort before dropping repeats.
        left.sort();
        left.dedup();
        Ok((n, left))
    };
    match put_back() {
        Ok((n, left)) => {
            let what = if n == 1 {
                "dead letter"
            } else {
                "dead letters"
            };
            let mut msg = format!("put {n} {what} back in the queue");
            if let Some(route) = route {
                let _ = write!(msg, " (route {route})");
            }
            msg.push_str(
                ": a running nurture serve delivers them within a second, one stopped at its \
                 next start\n",
            );
            if n == 0 && !left.is_empty() {
                let _ = writeln!(msg, "the dead letters are of: {}", left.join(", "));
            }
            print_stdout(&msg);
            EXIT_OK
        }
        Err(e) => {
            eprintln!("nurture state: {e}");
            EXIT_USAGE
        }
    }
}

fn record(e: &Entry) -> Value {
    serde_json::from_str(&e.record).unwrap_or_else(|_| Value::String(e.record.clone()))
}

fn entry_json(e: &Entry) -> Value {
    json!({
        "id": e.id,
        "record": record(e),
        "committed": format::instant(e.created),
        "attempts": e.attempts,
    })
}

fn dead_json(d: &DeadLetter) -> Value {
    let mut v = entry_json(&d.entry);
    if let Some(map) = v.as_object_mut() {
        map.insert("route".into(), d.route.clone().into());
        map.insert("status".into(), d.status.into());
        map.insert("error".into(), d.error.clone().into());
    }
    v
}

/// An action in a few words: its lead, its kind, and what it sends or changes.
fn gist(e: &Entry) -> String {
    let r = record(e);
    let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    let mut s = format!("{} {}", format::escaped(field("lead")), field("action"));
    for k in [
        "channel",
        "template",
        "audience",
        "name",
        "attribute",
        "tag",
    ] {
        if let Some(v) = r.get(k).and_then(Value::as_str) {
            let _ = write!(s, " {}", format::escaped(v));
        }
    }
    s
}

fn text(db: &Path, pending: &[Entry], dead: &[DeadLetter]) -> String {
    let mut out = format!(
        "outbox of {}: {} pending, {} dead {}\n",
        db.display(),
        pending.len(),
        dead.len(),
        if dead.len() == 1 { "letter" } else { "letters" }
    );
    if !dead.is_empty() {
        let _ = writeln!(
            out,
            "\ndead letters (put them back with nurture state {} --redeliver):",
            db.display()
        );
        for d in dead {
            let answer = d.status.map_or(String::new(), |s| format!("HTTP {s}, "));
            let _ = writeln!(
                out,
                "  {}  {}  to {}: {answer}{} after {} attempt{}",
                d.entry.id,
                gist(&d.entry),
                d.route,
                format::escaped(&d.error),
                d.entry.attempts,
                if d.entry.attempts == 1 { "" } else { "s" }
            );
        }
    }
    if !pending.is_empty() {
        out.push_str("\npending:\n");
        for e in pending {
            let _ = writeln!(
                out,
                "  {}  {}  committed {}, {} attempts so far",
                e.id,
                gist(e),
                format::instant(e.created),
                e.attempts
            );
        }
    }
    out
}
