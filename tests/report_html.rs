//! The HTML report in headless Chromium (`--features external`; Debian's `chromium`): the
//! page renders to a screenshot that is not blank, and the rendered document holds every
//! chart's SVG.

#![cfg(feature = "external")]

mod external;
mod report_support;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// Chromium with the flags that keep it off the network and out of the user's profile.
fn chromium(profile: &Path) -> Command {
    let mut c = Command::new(external::require("chromium", "chromium"));
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,2000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The distinct colours of a PNG, and its size.
fn colours(png_path: &Path) -> (usize, u32, u32) {
    let file = std::fs::File::open(png_path).expect("the screenshot");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for px in buf[..info.buffer_size()].chunks(channels) {
        seen.insert(px.to_vec());
    }
    (seen.len(), info.width, info.height)
}

#[test]
fn the_html_report_renders_with_every_chart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let campaign = dir.path().join("report.nurture");
    std::fs::write(&campaign, report_support::CAMPAIGN).unwrap();
    let (log, _) = report_support::events(11, 3_000);
    let events = dir.path().join("events.jsonl");
    std::fs::write(&events, log).unwrap();
    let page = dir.path().join("report.html");
    let out = Command::new(BIN)
        .arg("report")
        .arg(&campaign)
        .arg("--events")
        .arg(&events)
        .args(["--format", "html", "-o"])
        .arg(&page)
        .output()
        .expect("runs nurture");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", page.display());

    let shot = dir.path().join("shot.png");
    let profile = tempfile::tempdir().expect("a profile dir");
    let status = chromium(profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("runs chromium");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (distinct, width, height) = colours(&shot);
    assert_eq!((width, height), (1100, 2000));
    // A blank page is one colour; text, bars and whiskers in several colours, anti-aliased,
    // give hundreds.
    assert!(distinct > 50, "the screenshot has {distinct} colours");

    let profile = tempfile::tempdir().expect("a profile dir");
    let dom = chromium(profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("runs chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "funnel-trial-offer",
        "lift-trial-offer",
        "arms-trial-offer-1",
        "attribution-first-touch",
        "attribution-last-touch",
        "attribution-linear",
        "attribution-time-decay",
    ] {
        let at = dom
            .find(&format!("<svg id=\"{id}\""))
            .unwrap_or_else(|| panic!("no chart {id}"));
        let end = dom[at..].find("</svg>").expect("the chart closes");
        assert!(
            dom[at..at + end].contains("<rect") || dom[at..at + end].contains("<circle"),
            "{id} draws nothing"
        );
    }
    assert!(
        dom.contains("the holdout converts at"),
        "no reading of the lift"
    );
}
