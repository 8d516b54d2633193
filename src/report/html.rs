//! The report as one self-contained HTML page: inline CSS and SVG, nothing fetched, so it
//! opens from disk. The page is a `minijinja` template (`page.html`); the charts are
//! `charts`'s; every figure carries its reading in words (`words`).

use super::attribution::Model;
use super::charts::{self, slug};
use super::words::{self, pct};
use super::{Report, ReportError};
use minijinja::{context, Environment};
use serde::Serialize;

const PAGE: &str = include_str!("page.html");

#[derive(Serialize)]
struct SplitView {
    chart: String,
    reading: String,
}

#[derive(Serialize)]
struct StepView {
    step: String,
    reached: u64,
    sent: u64,
    suppressed: u64,
    rules: String,
    opened: u64,
    clicked: u64,
    open_rate: String,
    click_rate: String,
    unsubscribed_7d: u64,
}

#[derive(Serialize)]
struct WorkflowView {
    name: String,
    slug: String,
    funnel: String,
    outcome: String,
    lift: Option<String>,
    significant: bool,
    splits: Vec<SplitView>,
    steps: Vec<StepView>,
    steps_reading: String,
}

/// The page for a report.
pub fn render(r: &Report) -> Result<String, ReportError> {
    let mut workflows = Vec::new();
    for w in &r.workflows {
        let splits = w
            .splits
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Ok(SplitView {
                    chart: charts::arms(w, i, s)?.svg,
                    reading: words::split(s),
                })
            })
            .collect::<Result<_, ReportError>>()?;
        let steps = w
            .steps
            .iter()
            .map(|s| StepView {
                step: s.step.clone(),
                reached: s.reached,
                sent: s.sent,
                suppressed: s.suppressed,
                rules: s
                    .suppressed_by
                    .iter()
                    .map(|(rule, n)| format!("{rule}: {n}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                opened: s.opened,
                clicked: s.clicked,
                open_rate: pct(s.open_rate),
                click_rate: pct(s.click_rate),
                unsubscribed_7d: s.unsubscribed_7d,
            })
            .collect();
        let steps_reading = w
            .steps
            .iter()
            .map(words::step)
            .collect::<Vec<_>>()
            .join(". ");
        workflows.push(WorkflowView {
            name: w.name.clone(),
            slug: slug(&w.name),
            funnel: charts::funnel(w)?.svg,
            outcome: words::outcome(w),
            lift: charts::lift(w)?.map(|c| c.svg),
            significant: w.lift.as_ref().is_some_and(|l| l.difference.significant),
            splits,
            steps,
            steps_reading,
        });
    }
    let attribution = Model::ALL
        .iter()
        .map(|&m| charts::attribution(&r.attribution, m).map(|c| c.svg))
        .collect::<Result<Vec<_>, _>>()?;
    let mut env = Environment::new();
    let page = |e: minijinja::Error| ReportError::Page {
        reason: e.to_string(),
    };
    env.add_template("page.html", PAGE).map_err(page)?;
    let title = r
        .campaign
        .clone()
        .unwrap_or_else(|| "Campaign report".into());
    let period = format!(
        "from {} to {}",
        r.from.as_deref().unwrap_or("-"),
        r.until.as_deref().unwrap_or("-")
    );
    env.get_template("page.html")
        .and_then(|t| {
            t.render(context! {
                title,
                period,
                workflows,
                attribution,
                attribution_reading => words::attribution(&r.attribution),
            })
        })
        .map_err(page)
}
