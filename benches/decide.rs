//! A decision for a lead in memory against a list predicate of the same size:
//! `cargo bench --bench decide`.
//!
//! The campaign has a four-row decision and a list whose condition is the same four
//! conditions joined by `or`, so both evaluate the same instructions over the same lead state
//! when no row holds, and a decision stops at its first row that does (as `or` does). 20,000
//! leads in a spread of states; each pass evaluates one or the other for every lead (scores
//! computed fresh each time, as `Machine::decide` and the REPL's evaluation both do), ten
//! times over. 21 alternating pairs of passes; prints the median ratio decision/list with its
//! range and quartiles, and the
//! cost of one explained answer (`GET /v1/leads/{id}/decide/{name}`'s JSON) per lead.

use nurture::inspect::decide::decision_json;
use nurture::inspect::Explainer;
use nurture::vm::machine::{EventRef, Machine};
use std::hint::black_box;
use std::time::Instant;

const CAMPAIGN: &str = include_str!("decide.nurture");

fn machine(leads: u32) -> (Machine, nurture::check::program::Program) {
    let (_, program) = nurture::check::check_text(CAMPAIGN);
    let program = program.expect("the campaign checks");
    let mut m = Machine::new(nurture::compile::compile(&program).unwrap());
    let t0 = 1_772_000_000_000;
    let pricing =
        m.c.events
            .iter()
            .position(|e| e.name == "pricing.viewed")
            .unwrap() as u16;
    let ebook =
        m.c.events
            .iter()
            .position(|e| e.name == "ebook.downloaded")
            .unwrap() as u16;
    let text = nurture::lang::value::Val::PropText(0);
    let texts = vec!["x".to_string()];
    let mut out = Vec::new();
    for i in 0..leads {
        let id = format!("lead-{i}");
        let at = t0 + i as i64 * 10;
        // Mostly the `else` row (every condition tried), some at each earlier row.
        if i % 4 == 1 {
            let ev = EventRef {
                event: ebook,
                props: &[text],
                texts: &texts,
            };
            m.track(&id, at, ev, &mut out);
        }
        if i % 8 == 3 {
            for k in 0..2 {
                let ev = EventRef {
                    event: pricing,
                    props: &[text],
                    texts: &texts,
                };
                m.track(&id, at + k, ev, &mut out);
            }
        }
        m.lead(&id);
        out.clear();
    }
    (m, program)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let testing = !std::env::args().any(|a| a == "--bench");
    // Each pass sweeps the leads `sweeps` times, so a pass lasts tens of milliseconds and a
    // busy machine's hiccups move a pair's ratio less.
    let (leads, pairs, sweeps) = if testing {
        (200, 3, 1)
    } else {
        (20_000, 21, 10)
    };
    let (m, program) = machine(leads);
    let list = m.c.lists.iter().position(|l| l.name == "any_row").unwrap();
    let chunk = m.c.lists[list].cond.clone();
    let n = m.leads.len() as u32;
    let decide = || {
        let t = Instant::now();
        for _ in 0..sweeps {
            for lead in 0..n {
                black_box(m.decide(black_box(lead), 0));
            }
        }
        t.elapsed().as_secs_f64()
    };
    let predicate = || {
        let t = Instant::now();
        for _ in 0..sweeps {
            for lead in 0..n {
                black_box(m.eval_compiled(black_box(lead), &chunk, None));
            }
        }
        t.elapsed().as_secs_f64()
    };
    // Warm both paths once.
    decide();
    predicate();
    let mut ratios = Vec::new();
    let (mut d_all, mut p_all) = (Vec::new(), Vec::new());
    for i in 0..pairs {
        // Alternate which goes first, so neither always runs on a warmer cache.
        let (d, p) = if i % 2 == 0 {
            let d = decide();
            (d, predicate())
        } else {
            let p = predicate();
            (decide(), p)
        };
        ratios.push(d / p);
        let each = (n * sweeps) as f64;
        d_all.push(d / each * 1e9);
        p_all.push(p / each * 1e9);
    }
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    let (q1, q3) = (sorted[sorted.len() / 4], sorted[sorted.len() * 3 / 4]);
    println!("{n} leads, {pairs} alternating pairs of passes, {sweeps} sweeps a pass");
    println!("decision: {:.0} ns a lead (median)", median(d_all));
    println!(
        "list predicate of the same conditions: {:.0} ns a lead (median)",
        median(p_all)
    );
    println!(
        "ratio decision/predicate: median {:.3}, quartiles {q1:.3} to {q3:.3}, range {lo:.3} to {hi:.3}",
        median(ratios)
    );
    let ex = Explainer {
        m: &m,
        program: &program,
        source: CAMPAIGN,
    };
    let t = Instant::now();
    for lead in 0..n {
        let why = ex.decision(lead, 0);
        black_box(decision_json(&why, "x", false, m.now));
    }
    println!(
        "explained answer with its JSON: {:.1} µs a lead",
        t.elapsed().as_secs_f64() / n as f64 * 1e6
    );
}
