//! The report as text, for people at a terminal.

use super::attribution::Model;
use super::measure::Workflow;
use super::words::{self, pct, points};
use super::Report;
use std::fmt::Write;

/// `[4.2, 7.2]` in percentage points.
fn interval(ci: [f64; 2]) -> String {
    format!("[{}, {}]", points(ci[0]), points(ci[1]))
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let name = r.campaign.as_deref().unwrap_or("campaign");
    let _ = writeln!(
        out,
        "Report: {name}, {} to {}",
        r.from.as_deref().unwrap_or("-"),
        r.until.as_deref().unwrap_or("-")
    );
    if r.rejected_lines > 0 {
        let _ = writeln!(
            out,
            "({} lines of the events were rejected and left out)",
            r.rejected_lines
        );
    }
    for w in &r.workflows {
        workflow(&mut out, w);
    }
    let a = &r.attribution;
    let _ = writeln!(
        out,
        "\nAttribution (credit of {} conversions)",
        a.conversions
    );
    let mut templates: Vec<&String> = Model::ALL.iter().flat_map(|&m| a.model(m).keys()).collect();
    templates.sort();
    templates.dedup();
    let _ = writeln!(
        out,
        "  {:<28} {:>12} {:>12} {:>12} {:>12}",
        "template", "first touch", "last touch", "linear", "time decay"
    );
    for t in templates {
        let cell = |m: Model| a.model(m).get(t).copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "  {:<28} {:>12.1} {:>12.1} {:>12.1} {:>12.1}",
            t,
            cell(Model::FirstTouch),
            cell(Model::LastTouch),
            cell(Model::Linear),
            cell(Model::TimeDecay)
        );
    }
    if let Some(i) = a.incremental {
        let _ = writeln!(out, "  {:<28} {:>12.1}", "incremental (holdouts)", i);
    }
    let _ = writeln!(out, "  {}", words::attribution(a));
    out
}

fn workflow(out: &mut String, w: &Workflow) {
    let _ = writeln!(out, "\nWorkflow {}: {} leads enrolled", w.name, w.enrolled);
    let t = &w.treated;
    let _ = writeln!(
        out,
        "  treated   {:>7} enrolled {:>7} converted {:>7} {}",
        t.enrolled,
        t.converted,
        pct(t.rate),
        interval(t.ci95)
    );
    if let (Some(h), Some(l)) = (&w.holdout, &w.lift) {
        let _ = writeln!(
            out,
            "  holdout   {:>7} enrolled {:>7} converted {:>7} {}",
            h.enrolled,
            h.converted,
            pct(h.rate),
            interval(h.ci95)
        );
        let d = &l.difference;
        let _ = writeln!(
            out,
            "  lift      {} points {}, relative {}, {}, incremental {:.0} [{:.0}, {:.0}]",
            points(d.absolute),
            interval(d.ci95),
            d.relative.map_or("-".into(), pct),
            words::p(d.p_value),
            l.incremental,
            l.incremental_ci95[0],
            l.incremental_ci95[1]
        );
    }
    let _ = writeln!(out, "  {}", words::outcome(w));
    for (i, s) in w.splits.iter().enumerate() {
        let _ = writeln!(out, "  split {}", i + 1);
        for a in &s.arms {
            let _ = write!(
                out,
                "    {:<24} {:>7} enrolled {:>7} converted {:>7} {}",
                format!("\"{}\"", a.label),
                a.group.enrolled,
                a.group.converted,
                pct(a.group.rate),
                interval(a.group.ci95)
            );
            if let Some(v) = &a.vs_first {
                let _ = write!(
                    out,
                    "  vs first {} {}, {}",
                    points(v.difference.absolute),
                    interval(v.difference.ci95),
                    words::p(v.difference.p_value)
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "    {}", words::split(s));
    }
    if !w.steps.is_empty() {
        let _ = writeln!(
            out,
            "  {:<36} {:>8} {:>8} {:>10} {:>8} {:>8} {:>7} {:>7} {:>6}",
            "step", "reached", "sent", "suppressed", "opened", "clicked", "open", "CTR", "unsub"
        );
    }
    for s in &w.steps {
        let _ = writeln!(
            out,
            "  {:<36} {:>8} {:>8} {:>10} {:>8} {:>8} {:>7} {:>7} {:>6}",
            s.step,
            s.reached,
            s.sent,
            s.suppressed,
            s.opened,
            s.clicked,
            pct(s.open_rate),
            pct(s.click_rate),
            s.unsubscribed_7d
        );
        for (rule, n) in &s.suppressed_by {
            let _ = writeln!(out, "    suppressed by {rule}: {n}");
        }
    }
}
