//! A generated event log for `nurture report`'s tests: leads of known true conversion rates
//! by split arm, with opens and clicks of known counts.

#![allow(dead_code)] // each test target uses its own part

use nurture::lang::format::instant;
use nurture::vm::variant;

pub const CAMPAIGN: &str = include_str!("../fixtures/report.nurture");
pub const WORKFLOW: &str = "trial_offer";
/// The arms as the split declares them (cumulative share, first instruction unused, label).
pub const ARMS: [&str; 2] = ["Ten percent off", "Free month"];
/// The true conversion rate of each arm, and of the holdout.
pub const TRUE_RATES: [f64; 2] = [0.10, 0.14];
pub const HOLDOUT_RATE: f64 = 0.06;
/// The workflow's `holdout` share, in percent.
pub const HOLDOUT: u8 = 20;
const START_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

/// What the generator made, to check the report against.
#[derive(Debug, Default)]
pub struct Truth {
    pub leads: u64,
    pub held_out: u64,
    pub converted_held_out: u64,
    pub per_arm: [u64; 2],
    pub converted_per_arm: [u64; 2],
    /// Leads who opened (clicked) "welcome" after it was sent.
    pub opened_welcome: u64,
    pub clicked_welcome: u64,
}

/// The arm the campaign gives a lead (the split's own rule).
pub fn arm_of(lead: &str) -> usize {
    let arms: Vec<(f64, u32, String)> = ARMS
        .iter()
        .enumerate()
        .map(|(i, l)| (50.0 * (i + 1) as f64, 0, l.to_string()))
        .collect();
    variant::arm(&arms, WORKFLOW, lead).expect("an arm")
}

/// Whether the campaign holds a lead out (the holdout's own rule).
pub fn variant_held_out(lead: &str) -> bool {
    nurture::vm::holdout::held_out(HOLDOUT, WORKFLOW, lead)
}

fn track(lead: &str, event: &str, props: &str, at: i64) -> (i64, String) {
    (
        at,
        format!(
            r#"{{"type":"track","userId":"{lead}","event":"{event}","properties":{props},"timestamp":"{}"}}"#,
            instant(at)
        ),
    )
}

/// A lead opens a template sent at `sent` an hour later with probability `p.0`, and then
/// clicks it an hour after that with probability `p.1`: whether it opened and clicked.
fn engage(
    rng: &mut fastrand::Rng,
    lines: &mut Vec<(i64, String)>,
    lead: &str,
    template: &str,
    sent: i64,
    p: (f64, f64),
) -> (bool, bool) {
    let props = format!(r#"{{"template":"{template}"}}"#);
    if rng.f64() >= p.0 {
        return (false, false);
    }
    lines.push(track(lead, "Email Opened", &props, sent + HOUR));
    let clicked = rng.f64() < p.1;
    if clicked {
        lines.push(track(lead, "Email Link Clicked", &props, sent + 2 * HOUR));
    }
    (true, clicked)
}

/// `leads` leads signing up a minute apart; the held out convert at 6%, the others at their
/// arm's true rate (an order a few days after the offer); 40% of the treated open the
/// welcome email an hour after it, a quarter of those click; 30% open the offer, 30% of
/// those click, 1% unsubscribe.
pub fn events(seed: u64, leads: u64) -> (String, Truth) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut lines = Vec::new();
    let mut truth = Truth {
        leads,
        ..Truth::default()
    };
    for i in 0..leads {
        let lead = format!("lead-{seed}-{i}");
        let at = START_MS + i as i64 * 60_000;
        lines.push(track(&lead, "Signed Up", r#"{"plan":"pro"}"#, at));
        if variant_held_out(&lead) {
            truth.held_out += 1;
            if rng.f64() < HOLDOUT_RATE {
                truth.converted_held_out += 1;
                let props = format!(r#"{{"order_id":"o{i}","total":49.0}}"#);
                lines.push(track(&lead, "Order Completed", &props, at + 3 * 24 * HOUR));
            }
            continue;
        }
        let (opened, clicked) = engage(&mut rng, &mut lines, &lead, "welcome", at, (0.4, 0.25));
        truth.opened_welcome += u64::from(opened);
        truth.clicked_welcome += u64::from(clicked);
        let arm = arm_of(&lead);
        truth.per_arm[arm] += 1;
        // The offer goes out a day after the welcome; some open it, a few click, fewer leave.
        let offer = ["offer-ten", "offer-month"][arm];
        let sent = at + 24 * HOUR;
        engage(&mut rng, &mut lines, &lead, offer, sent, (0.3, 0.3));
        if rng.f64() < 0.01 {
            let props = format!(r#"{{"template":"{offer}"}}"#);
            lines.push(track(&lead, "Unsubscribed", &props, sent + 4 * HOUR));
        }
        if rng.f64() < TRUE_RATES[arm] {
            truth.converted_per_arm[arm] += 1;
            let day = 2 + rng.i64(0..10);
            let props = format!(r#"{{"order_id":"o{i}","total":49.0}}"#);
            lines.push(track(
                &lead,
                "Order Completed",
                &props,
                at + day * 24 * HOUR,
            ));
        }
    }
    lines.sort_by_key(|l| l.0);
    let mut out = String::new();
    for (_, l) in lines {
        out.push_str(&l);
        out.push('\n');
    }
    (out, truth)
}
