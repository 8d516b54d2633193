//! How long `nurture lsp` takes from a keystroke to the file's new diagnostics:
//! `cargo bench --bench lsp` (NURTURE_BENCH_REPS rounds, 15 by default).
//!
//! A keystroke is one space typed after the `=` of a `list` past the middle of the generated
//! campaign (benches/support/campaign.rs), a later list each round. Two measures, each
//! alternating its two sides round by round, so that their ratio holds however busy the
//! machine is:
//!
//! - end to end, as an editor sees it: the real binary over stdio, from writing the
//!   `didChange` (incremental sync: a range and one character) to reading its
//!   `publishDiagnostics`, for a 10,000-line campaign against a 1,000-line one;
//! - in the library, on the 10,000-line campaign: `Document::edit` (parsing again only the
//!   declarations around the edit) against `Document::new` (the whole file read afresh,
//!   which is what the server did per keystroke before).
//!
//! The target (issue 17) is 100 ms for 10,000 lines.

use nurture::ide::Document;
use serde_json::json;
use std::time::Instant;

#[path = "support/campaign.rs"]
mod campaign;
#[path = "support/lsp_client.rs"]
mod lsp_client;

const URI: &str = "file:///bench/campaign.nurture";

/// Where the `round`th keystroke goes: just after the `=` of the `round`th `list` past the
/// middle of the text.
fn keystroke_at(text: &str, round: usize) -> usize {
    let middle = text.len() / 2;
    let list = (text[middle..].match_indices("\nlist "))
        .nth(round)
        .expect("enough lists past the middle")
        .0;
    let at = middle + list + 1;
    at + text[at..].find('=').expect("the list's `=`") + 1
}

/// The line and UTF-16 column of a byte offset (the campaign is ASCII).
fn position(text: &str, at: usize) -> serde_json::Value {
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": at - start })
}

/// One open file in a running server.
struct Editor {
    client: lsp_client::Client,
    text: String,
    version: i64,
}

impl Editor {
    fn open(text: String) -> Editor {
        let mut client = lsp_client::Client::start();
        let diags = client.open(URI, &text);
        assert!(diags.is_empty(), "the campaign checks clean: {diags:?}");
        Editor {
            client,
            text,
            version: 1,
        }
    }

    /// Types a space and waits for the diagnostics: the milliseconds in between.
    fn keystroke(&mut self, round: usize) -> f64 {
        let at = keystroke_at(&self.text, round);
        let place = position(&self.text, at);
        self.version += 1;
        let change = json!({
            "textDocument": { "uri": URI, "version": self.version },
            "contentChanges": [{ "range": { "start": place, "end": place }, "text": " " }],
        });
        let start = Instant::now();
        self.client.notify("textDocument/didChange", change);
        let diags = self.client.diagnostics(URI);
        let ms = start.elapsed().as_secs_f64() * 1e3;
        assert!(
            diags.is_empty(),
            "a space after `=` changes nothing: {diags:?}"
        );
        self.text.insert(at, ' ');
        ms
    }
}

/// The same keystroke in the library: the document edited (incremental) and, from the same
/// text, read afresh (the whole file), in milliseconds.
fn in_library(doc: &mut Document, round: usize) -> (f64, f64) {
    let mut text = doc.text.clone();
    text.insert(keystroke_at(&text, round), ' ');
    let start = Instant::now();
    let fresh = Document::new(text.clone());
    let whole = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    doc.edit(text);
    let edited = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(doc.diagnostics(), fresh.diagnostics());
    assert!(!doc.diagnostics().iter().any(|d| d.is_error()));
    (edited, whole)
}

/// A keystroke that breaks a declaration (a second `=` typed after a list's `=`) and the one
/// that mends it (the `=` deleted), in the library: milliseconds for each.
fn breaking(doc: &mut Document, round: usize) -> (f64, f64) {
    let good = doc.text.clone();
    let mut broken = good.clone();
    broken.insert(keystroke_at(&good, round), '=');
    let start = Instant::now();
    doc.edit(broken);
    let breaks = start.elapsed().as_secs_f64() * 1e3;
    assert!(doc.diagnostics().iter().any(|d| d.is_error()));
    let start = Instant::now();
    doc.edit(good);
    let mends = start.elapsed().as_secs_f64() * 1e3;
    assert!(!doc.diagnostics().iter().any(|d| d.is_error()));
    (breaks, mends)
}

/// The median, smallest and largest.
fn spread(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

fn report(what: &str, xs: Vec<f64>, unit: &str) {
    let n = xs.len();
    let (median, lo, hi) = spread(xs);
    println!("{what}: median {median:.2}{unit} ({lo:.2} to {hi:.2}) over {n} rounds");
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick {
        1
    } else {
        std::env::var("NURTURE_BENCH_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(15)
    };
    let (big_text, small_text) = (campaign::campaign(10_000), campaign::campaign(1_000));
    let (big_lines, small_lines) = (big_text.lines().count(), small_text.lines().count());

    let mut big = Editor::open(big_text.clone());
    let mut small = Editor::open(small_text);
    let (mut big_ms, mut small_ms, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let b = big.keystroke(round);
        let s = small.keystroke(round);
        big_ms.push(b);
        small_ms.push(s);
        ratios.push(b / s);
    }
    big.client.shutdown();
    small.client.shutdown();
    report(
        &format!("didChange to publishDiagnostics, {big_lines} lines"),
        big_ms,
        " ms",
    );
    report(
        &format!("didChange to publishDiagnostics, {small_lines} lines (baseline)"),
        small_ms,
        " ms",
    );
    report("ratio 10,000 / 1,000 lines", ratios, "");

    let mut doc = Document::new(big_text);
    let (mut edited_ms, mut whole_ms, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (e, w) = in_library(&mut doc, round);
        edited_ms.push(e);
        whole_ms.push(w);
        ratios.push(e / w);
    }
    report(
        &format!("Document::edit, {big_lines} lines"),
        edited_ms,
        " ms",
    );
    report(
        &format!("Document::new, {big_lines} lines (the whole file, baseline)"),
        whole_ms,
        " ms",
    );
    report("ratio edit / whole file", ratios, "");

    let (mut breaks, mut mends) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (b, m) = breaking(&mut doc, round);
        breaks.push(b);
        mends.push(m);
    }
    report(
        &format!("Document::edit to a syntax error, {big_lines} lines"),
        breaks,
        " ms",
    );
    report(
        &format!("Document::edit out of a syntax error, {big_lines} lines"),
        mends,
        " ms",
    );
}
