//! The report's charts, drawn by `plotters` as SVG (text as `<text>`, no fonts needed): a
//! funnel per workflow, the arms of each split with their interval whiskers, the lift with
//! its interval against zero, attribution bars per model.

use super::attribution::{Attribution, Model};
use super::measure::{Split, Workflow};
use super::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;

const WIDTH: u32 = 720;
const BLUE: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const GREY: RGBColor = RGBColor(0x9a, 0xa5, 0xb1);
const GREEN: RGBColor = RGBColor(0x2f, 0x85, 0x5a);

/// An SVG chart with its id (the page's anchor and the tests' handle).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chart {
    pub id: String,
    pub svg: String,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws into an SVG of `height` and gives it `id` on its root element.
fn draw(
    id: String,
    height: u32,
    f: impl FnOnce(&Area<'_>) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Chart, ReportError> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let drawn = area.fill(&WHITE).map_err(|e| e.to_string());
        let drawn = drawn.and_then(|_| f(&area).map_err(|e| e.to_string()));
        let presented = drawn.and_then(|_| area.present().map_err(|e| e.to_string()));
        presented.map_err(|reason| ReportError::Chart {
            chart: id.clone(),
            reason,
        })?;
    }
    let svg = svg.replacen("<svg ", &format!("<svg id=\"{id}\" role=\"img\" "), 1);
    Ok(Chart { id, svg })
}

/// A name safe in an id: letters, digits and dashes.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Horizontal bars, one a row, labelled on the left, their values at their ends.
fn bars(
    area: &Area<'_>,
    caption: &str,
    rows: &[(String, f64)],
    color: RGBColor,
) -> Result<(), Box<dyn std::error::Error>> {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1.0);
    let n = rows.len().max(1);
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(24)
        .y_label_area_size(240)
        .build_cartesian_2d(0.0..max * 1.15, 0.0..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| {
            let i = (n as f64 - y - 0.5).round();
            let at = (n as f64 - y - 0.5 - i).abs() < 0.01;
            match (at, names.get(i as usize)) {
                (true, Some(s)) if i >= 0.0 => s.clone(),
                _ => String::new(),
            }
        })
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    chart.draw_series(rows.iter().enumerate().map(|(i, (_, v))| {
        let top = n as f64 - i as f64;
        Rectangle::new([(0.0, top - 0.8), (*v, top - 0.2)], color.filled())
    }))?;
    chart.draw_series(rows.iter().enumerate().map(|(i, (_, v))| {
        let top = n as f64 - i as f64;
        Text::new(
            format!("{v:.0}"),
            (*v + max * 0.01, top - 0.35),
            ("sans-serif", 13),
        )
    }))?;
    Ok(())
}

/// The funnel of a workflow: enrolled, treated, each send step's sent, opened and clicked,
/// and the treated who converted.
pub fn funnel(w: &Workflow) -> Result<Chart, ReportError> {
    let mut rows = vec![("enrolled".to_string(), w.enrolled as f64)];
    if let Some(h) = &w.holdout {
        rows.push(("held out".into(), h.enrolled as f64));
    }
    rows.push(("treated".into(), w.treated.enrolled as f64));
    for s in w.steps.iter().filter(|s| s.sent > 0) {
        // `send email "welcome"` reads as `"welcome" sent`.
        let template = s.step.find('"').map_or(s.step.as_str(), |at| &s.step[at..]);
        let short: String = template.chars().take(32).collect();
        rows.push((format!("{short} sent"), s.sent as f64));
        rows.push(("  opened".into(), s.opened as f64));
        rows.push(("  clicked".into(), s.clicked as f64));
    }
    rows.push(("treated, converted".into(), w.treated.converted as f64));
    let height = 70 + 26 * rows.len() as u32;
    draw(format!("funnel-{}", slug(&w.name)), height, |area| {
        bars(
            area,
            &format!("{}: leads at each stage", w.name),
            &rows,
            BLUE,
        )
    })
}

/// The arms of a split: each rate with its Wilson 95% whisker, in percent.
pub fn arms(w: &Workflow, index: usize, s: &Split) -> Result<Chart, ReportError> {
    let high = s.arms.iter().map(|a| a.group.ci95[1]).fold(0.0, f64::max) * 100.0;
    let k = s.arms.len();
    let labels: Vec<String> = s.arms.iter().map(|a| a.label.clone()).collect();
    draw(
        format!("arms-{}-{}", slug(&w.name), index + 1),
        300,
        |area| {
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!(
                        "{}: split {} arms, conversion rate with 95% interval",
                        w.name,
                        index + 1
                    ),
                    ("sans-serif", 18),
                )
                .margin(14)
                .x_label_area_size(30)
                .y_label_area_size(50)
                .build_cartesian_2d(-0.5..k as f64 - 0.5, 0.0..(high * 1.2).max(1.0))?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(k * 2 + 1)
                .x_label_formatter(&|x| {
                    let i = x.round();
                    match labels.get(i as usize) {
                        Some(l) if (x - i).abs() < 0.01 && i >= 0.0 => l.clone(),
                        _ => String::new(),
                    }
                })
                .y_label_formatter(&|y| format!("{y:.0}%"))
                .draw()?;
            chart.draw_series(s.arms.iter().enumerate().map(|(i, a)| {
                ErrorBar::new_vertical(
                    i as f64,
                    a.group.ci95[0] * 100.0,
                    a.group.rate * 100.0,
                    a.group.ci95[1] * 100.0,
                    BLUE.stroke_width(2),
                    18,
                )
            }))?;
            chart.draw_series(
                s.arms
                    .iter()
                    .enumerate()
                    .map(|(i, a)| Circle::new((i as f64, a.group.rate * 100.0), 5, BLUE.filled())),
            )?;
            Ok(())
        },
    )
}

/// The lift in points, with its 95% interval, against zero.
pub fn lift(w: &Workflow) -> Result<Option<Chart>, ReportError> {
    let Some(l) = &w.lift else {
        return Ok(None);
    };
    let d = &l.difference;
    let (low, mid, high) = (d.ci95[0] * 100.0, d.absolute * 100.0, d.ci95[1] * 100.0);
    let span = low.abs().max(high.abs()).max(1.0) * 1.25;
    draw(format!("lift-{}", slug(&w.name)), 170, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "{}: lift over the holdout, points, with 95% interval",
                    w.name
                ),
                ("sans-serif", 18),
            )
            .margin(14)
            .x_label_area_size(30)
            .y_label_area_size(10)
            .build_cartesian_2d(-span..span, -1.0..1.0)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|x| format!("{x:+.1}"))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -1.0), (0.0, 1.0)],
            GREY.stroke_width(2),
        )))?;
        let color = if d.significant { GREEN } else { GREY };
        chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
            0.0,
            low,
            mid,
            high,
            color.stroke_width(3),
            20,
        )))?;
        chart.draw_series(std::iter::once(Circle::new((mid, 0.0), 6, color.filled())))?;
        Ok(())
    })
    .map(Some)
}

/// One model's credit by template.
pub fn attribution(a: &Attribution, m: Model) -> Result<Chart, ReportError> {
    let mut rows: Vec<(String, f64)> = a.model(m).iter().map(|(t, c)| (t.clone(), *c)).collect();
    rows.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    let key = serde_json::to_value(m).ok();
    let key = key.as_ref().and_then(|v| v.as_str()).unwrap_or("model");
    let height = 70 + 26 * rows.len().max(1) as u32;
    draw(format!("attribution-{}", slug(key)), height, |area| {
        bars(
            area,
            &format!("conversions credited, {}", m.title()),
            &rows,
            GREEN,
        )
    })
}
