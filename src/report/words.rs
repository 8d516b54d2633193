//! Each figure's reading in plain words, the same in the text and the HTML report.

use super::attribution::{Attribution, Model};
use super::measure::{Split, Step, Workflow};

/// A rate as a percentage with one decimal: `6.1%`.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A difference of rates in percentage points: `5.7`, `-0.4`.
pub fn points(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

/// A p-value as people read it.
pub fn p(x: f64) -> String {
    if x < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {x:.3}")
    }
}

/// The outcome against the holdout: "the holdout converts at 6.1%, the treated at 11.8%:
/// the workflow adds 5.7 points, between 4.2 and 7.2 at 95%".
pub fn outcome(w: &Workflow) -> String {
    let (Some(h), Some(l)) = (&w.holdout, &w.lift) else {
        return format!(
            "{} leads enrolled and {} converted ({}); with no holdout, nothing says how many \
             would have converted anyway: add `holdout 10%` to measure it",
            w.treated.enrolled,
            w.treated.converted,
            pct(w.treated.rate)
        );
    };
    let d = &l.difference;
    let verb = if d.absolute >= 0.0 {
        "adds"
    } else {
        "takes away"
    };
    let mut s = format!(
        "the holdout converts at {}, the treated at {}: the workflow {verb} {} points, between \
         {} and {} at 95% ({})",
        pct(h.rate),
        pct(w.treated.rate),
        points(d.absolute.abs()),
        points(d.ci95[0]),
        points(d.ci95[1]),
        p(d.p_value)
    );
    if d.significant {
        s.push_str(&format!(
            "; about {:.0} of the {} conversions of treated leads would not have happened \
             without it (between {:.0} and {:.0})",
            l.incremental.max(0.0),
            w.treated.converted,
            l.incremental_ci95[0].max(0.0),
            l.incremental_ci95[1].max(0.0)
        ));
    } else {
        s.push_str("; the interval includes zero, so this does not yet show the workflow works");
    }
    s
}

/// A split's verdict: its winner, or "no winner yet" and the leads an arm would need.
pub fn split(s: &Split) -> String {
    if let Some(w) = &s.winner {
        let arm = s.arms.iter().find(|a| &a.label == w);
        return match arm.and_then(|a| a.vs_first.as_ref()) {
            Some(v) => format!(
                "\"{w}\" wins: it converts at {}, {} points from \"{}\" (between {} and {} at 95%, {})",
                pct(arm.map_or(0.0, |a| a.group.rate)),
                points(v.difference.absolute),
                s.arms[0].label,
                points(v.difference.ci95[0]),
                points(v.difference.ci95[1]),
                p(v.difference.p_value)
            ),
            None => format!("\"{w}\" wins: every other arm converts significantly less"),
        };
    }
    let need = s
        .arms
        .iter()
        .filter_map(|a| a.vs_first.as_ref()?.sample_size_per_arm)
        .max();
    let have = s.arms.iter().map(|a| a.group.enrolled).min().unwrap_or(0);
    match need {
        Some(n) if n > have => format!(
            "no winner yet: the arms' intervals overlap; to tell differences this size apart \
             each arm needs about {n} leads (the smallest has {have})"
        ),
        Some(_) => "no winner yet: the arms have the leads the observed differences need, and \
                    the differences are not significant: the arms likely convert alike"
            .into(),
        None => "no winner yet: the arms convert at the same rate".into(),
    }
}

/// A step's funnel in a sentence.
pub fn step(s: &Step) -> String {
    let mut out = format!("{}: {} leads reached, {} sent", s.step, s.reached, s.sent);
    if s.suppressed > 0 {
        out.push_str(&format!(", {} suppressed", s.suppressed));
    }
    if s.sent > 0 {
        out.push_str(&format!(
            "; {} opened ({}), {} clicked ({})",
            s.opened,
            pct(s.open_rate),
            s.clicked,
            pct(s.click_rate)
        ));
    }
    if s.unsubscribed_7d > 0 {
        out.push_str(&format!(
            "; {} unsubscribed within 7 days",
            s.unsubscribed_7d
        ));
    }
    out
}

/// How to read the attribution models against the holdouts.
pub fn attribution(a: &Attribution) -> String {
    let top = |m: Model| {
        a.model(m)
            .iter()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .map(|(t, c)| format!("\"{t}\" ({c:.1})"))
    };
    let mut s = format!(
        "{} conversions of treated leads, {} with no send in their goal window",
        a.conversions, a.untouched
    );
    if let (Some(first), Some(last)) = (top(Model::FirstTouch), top(Model::LastTouch)) {
        s.push_str(&format!(
            "; first touch credits {first} most, last touch {last}"
        ));
    }
    match a.incremental {
        Some(i) => s.push_str(&format!(
            ". The holdouts say about {:.0} conversions were caused by the workflows: the \
             models share out all {}, including those that would have happened anyway",
            i.max(0.0),
            a.conversions
        )),
        None => s.push_str(
            ". No workflow has a holdout, so none of these credits says what the emails caused",
        ),
    }
    s
}
