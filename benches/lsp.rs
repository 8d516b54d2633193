//! How long `nurture lsp` takes from a keystroke to a file's new diagnostics:
//! `cargo bench --bench lsp`.
//!
//! A keystroke is one character typed into a declaration in the middle of the generated
//! campaign (benches/support/campaign.rs); the server then re-parses, re-checks and re-indexes
//! the file (`ide::Document::after`), which is what it does before it publishes diagnostics.
//! The figure is for a 10,000-line campaign, against the same keystroke in a 1,000-line one
//! measured in the same run, alternating, so that the ratio holds however busy the machine is.
//! The target (issue 17) is 100 ms for 10,000 lines.

use nurture::ide::Document;
use std::time::Instant;

#[path = "support/campaign.rs"]
mod campaign;

/// Alternating rounds; each round times one keystroke in each file.
const ROUNDS: usize = 15;

/// A keystroke: a space typed after the first `list ` declaration's `=` past the middle of
/// the file, and the document built again from the one before.
fn keystroke(before: &Document) -> (Document, f64) {
    let text = &before.text;
    let middle = text.len() / 2;
    let at = middle
        + text[middle..]
            .find("\nlist ")
            .expect("a list past the middle")
        + 1;
    let at = at + text[at..].find('=').expect("the list's `=`") + 1;
    let mut edited = text.clone();
    edited.insert(at, ' ');
    let start = Instant::now();
    let doc = Document::after(edited, Some(before));
    let ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(
        !doc.diagnostics().iter().any(|d| d.is_error()),
        "a space after `=` changes nothing: {:?}",
        doc.diagnostics().first()
    );
    (doc, ms)
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 1 } else { ROUNDS };
    let mut big = Document::new(campaign::campaign(10_000));
    let mut small = Document::new(campaign::campaign(1_000));
    let (big_lines, small_lines) = (big.text.lines().count(), small.text.lines().count());
    let (mut big_ms, mut small_ms, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (b, tb) = keystroke(&big);
        let (s, ts) = keystroke(&small);
        (big, small) = (b, s);
        big_ms.push(tb);
        small_ms.push(ts);
        ratios.push(tb / ts);
    }
    let spread = |xs: &[f64]| {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(0.0, f64::max);
        (lo, hi)
    };
    let (blo, bhi) = spread(&big_ms);
    let (slo, shi) = spread(&small_ms);
    let (rlo, rhi) = spread(&ratios);
    println!(
        "lsp keystroke, {big_lines} lines: median {:.1} ms ({blo:.1} to {bhi:.1}) over {rounds} rounds",
        median(&mut big_ms)
    );
    println!(
        "lsp keystroke, {small_lines} lines (baseline): median {:.1} ms ({slo:.1} to {shi:.1})",
        median(&mut small_ms)
    );
    println!(
        "ratio 10,000 / 1,000 lines: median {:.2} ({rlo:.2} to {rhi:.2})",
        median(&mut ratios)
    );
}
