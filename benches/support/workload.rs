//! The reference workload: Segment JSON lines for N leads over D days, deterministic from a
//! seed, with a realistic mix of page views, email opens and clicks, form fills, ebook
//! downloads, carts, orders, identifies and a few events the campaign does not declare.
//!
//! `lines` feeds the contract campaign (benches/run.rs); `reference` feeds the reference
//! campaign of benches/reference.nurture (benches/reference.rs, tests/native_baseline.rs).

/// Lines in time order. Each lead is identified the first time it appears.
pub fn lines(seed: u64, leads: u32, events: u32, days: u32) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let start: i64 = 1_772_323_200; // 2026-03-01T00:00:00Z
    let span = days as i64 * 86_400;
    let mut seen = vec![false; leads as usize];
    let mut out = Vec::with_capacity(events as usize + leads as usize);
    let titles = [
        "VP Marketing",
        "Head of Growth",
        "Engineer",
        "Director of Sales",
        "Student",
        "Chief of Staff",
    ];
    let templates = [
        "welcome-brand-values",
        "product-offer",
        "welcome-reminder",
        "offer-a",
        "offer-b",
        "cart-reminder",
        "newsletter",
    ];
    let urls = [
        "/pricing",
        "/blog/nurture-101",
        "/features",
        "/blog/scoring",
        "/about",
        "/pricing/teams",
    ];
    for i in 0..events {
        let at = start + (i as i64 * span) / events as i64;
        let ts = timestamp(at);
        let lead = rng.u32(0..leads);
        let user = format!("lead-{lead}");
        if !seen[lead as usize] {
            seen[lead as usize] = true;
            out.push(format!(
                r#"{{"type":"identify","userId":"{user}","traits":{{"email":"{user}@{}","job_title":"{}","company_size":{},"country":"{}"}},"timestamp":"{ts}"}}"#,
                if rng.u8(0..10) < 2 { "gmail.com" } else { "acme.com" },
                titles[rng.usize(0..titles.len())],
                rng.u32(1..5000),
                ["US", "GB", "DE", "FR"][rng.usize(0..4)],
            ));
        }
        let roll = rng.u8(0..100);
        let line = match roll {
            0..=39 => format!(
                r#"{{"type":"track","userId":"{user}","event":"page.viewed","properties":{{"url":"{}","title":"Page"}},"timestamp":"{ts}"}}"#,
                urls[rng.usize(0..urls.len())]
            ),
            40..=59 => format!(
                r#"{{"type":"track","userId":"{user}","event":"email.opened","properties":{{"template":"{}"}},"timestamp":"{ts}"}}"#,
                templates[rng.usize(0..templates.len())]
            ),
            60..=67 => format!(
                r#"{{"type":"track","userId":"{user}","event":"email.clicked","properties":{{"template":"{}"}},"timestamp":"{ts}"}}"#,
                templates[rng.usize(0..templates.len())]
            ),
            68..=72 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Ebook Downloaded","properties":{{"title":"Lead nurturing 101"}},"timestamp":"{ts}"}}"#
            ),
            73..=77 => format!(
                r#"{{"type":"track","userId":"{user}","event":"cart.abandoned","properties":{{"cart_value":{},"items":{}}},"timestamp":"{ts}"}}"#,
                rng.u32(10..300),
                rng.u32(1..6)
            ),
            78..=80 => format!(
                r#"{{"type":"track","userId":"{user}","event":"order.placed","properties":{{"order_id":"o-{i}","total":{}.{:02}}},"timestamp":"{ts}"}}"#,
                rng.u32(10..500),
                rng.u32(0..100)
            ),
            81..=84 => format!(
                r#"{{"type":"track","userId":"{user}","event":"form.submitted","properties":{{"form":"contact"}},"timestamp":"{ts}"}}"#
            ),
            85..=86 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Signed Up","timestamp":"{ts}"}}"#
            ),
            87..=89 => format!(
                r#"{{"type":"track","userId":"{user}","event":"email.unsubscribed","properties":{{"template":"newsletter"}},"timestamp":"{ts}"}}"#
            ),
            _ => format!(
                r#"{{"type":"identify","userId":"{user}","traits":{{"company_size":{}}},"timestamp":"{ts}"}}"#,
                rng.u32(1..5000)
            ),
        };
        out.push(line);
    }
    out
}

fn timestamp(t: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The sizes of the reference workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Size {
    /// For tests: 12,000 events over 600 leads in 45 days.
    Small,
    /// 1,000,000 events over 100,000 leads in 30 days.
    Million,
    /// 10,000,000 events over 1,000,000 leads in 30 days.
    TenMillion,
}

impl Size {
    /// NURTURE_BENCH_SIZE=small|1m|10m (1m by default), small when `testing` (`cargo test
    /// --benches`).
    #[allow(dead_code)] // benches/run.rs sizes its workload its own way
    pub fn from_env(testing: bool) -> Size {
        match std::env::var("NURTURE_BENCH_SIZE").as_deref() {
            _ if testing => Size::Small,
            Ok("small") => Size::Small,
            Ok("10m") => Size::TenMillion,
            _ => Size::Million,
        }
    }

    /// (events, leads, days)
    pub fn shape(self) -> (u32, u32, u32) {
        match self {
            Size::Small => (12_000, 600, 45),
            Size::Million => (1_000_000, 100_000, 30),
            Size::TenMillion => (10_000_000, 1_000_000, 30),
        }
    }
}

/// The reference workload for benches/reference.nurture: `track` and `identify` lines in
/// time order. Activity is skewed (a few leads do much more than most), some leads live in
/// other time zones or have withdrawn consent, and about 2% of lines are events the campaign
/// does not declare.
#[allow(dead_code)]
pub fn reference(seed: u64, size: Size) -> Vec<String> {
    let (events, leads, days) = size.shape();
    reference_shaped(seed, events, leads, days)
}

/// The reference workload of any shape: `events` lines over `leads` leads in `days` days.
#[allow(dead_code)]
pub fn reference_shaped(seed: u64, events: u32, leads: u32, days: u32) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let start: i64 = 1_772_323_200; // 2026-03-01T00:00:00Z
    let span = days as i64 * 86_400;
    let mut seen = vec![false; leads as usize];
    let mut out = Vec::with_capacity(events as usize + leads as usize);
    let titles = [
        "VP Marketing",
        "Head of Growth",
        "Engineer",
        "Director of Sales",
        "Student",
        "Chief of Staff",
        "Analyst",
    ];
    let templates = [
        "welcome-brand-values",
        "product-offer",
        "welcome-reminder",
        "offer-a",
        "offer-b",
        "cart-reminder",
        "we-miss-you",
        "newsletter",
    ];
    let urls = [
        "/pricing",
        "/blog/nurture-101",
        "/features",
        "/blog/scoring",
        "/about",
        "/pricing/teams",
        "/",
    ];
    let zones = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo"];
    let industries = ["software", "retail", "finance", "education"];
    for i in 0..events {
        let at = start + (i as i64 * span) / events as i64;
        let ts = timestamp(at);
        // Skewed activity: squaring a uniform draw favours low lead numbers.
        let r = rng.f64();
        let lead = ((r * r * leads as f64) as u32).min(leads - 1);
        let user = format!("lead-{lead}");
        if !seen[lead as usize] {
            seen[lead as usize] = true;
            // One lead in ten is first seen in a `track` and identified later, if at all.
            if rng.u8(0..10) != 0 {
                out.push(format!(
                    r#"{{"type":"identify","userId":"{user}","traits":{{"email":"{user}@{}","first_name":"Lee","job_title":"{}","company_size":{},"country":"{}","industry":"{}","timezone":"{}","consent_email":{},"plan_hint":"x"}},"timestamp":"{ts}"}}"#,
                    if rng.u8(0..10) < 2 { "gmail.com" } else { "acme.com" },
                    titles[rng.usize(0..titles.len())],
                    [5, 20, 80, 300, 1500, 8000][rng.usize(0..6)],
                    ["US", "GB", "DE", "FR", "JP"][rng.usize(0..5)],
                    industries[rng.usize(0..industries.len())],
                    zones[if rng.u8(0..4) == 0 { rng.usize(1..zones.len()) } else { 0 }],
                    rng.u8(0..20) != 0,
                ));
            }
        }
        let roll = rng.u16(0..1000);
        let line = match roll {
            0..=349 => format!(
                r#"{{"type":"track","userId":"{user}","event":"page.viewed","properties":{{"url":"{}","title":"Page"}},"timestamp":"{ts}"}}"#,
                urls[rng.usize(0..urls.len())]
            ),
            350..=549 => format!(
                r#"{{"type":"track","userId":"{user}","event":"email.opened","properties":{{"template":"{}"}},"timestamp":"{ts}"}}"#,
                templates[rng.usize(0..templates.len())]
            ),
            550..=629 => format!(
                r#"{{"type":"track","userId":"{user}","event":"email.clicked","properties":{{"template":"{}","url":"/x"}},"timestamp":"{ts}"}}"#,
                templates[rng.usize(0..templates.len())]
            ),
            630..=669 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Ebook Downloaded","properties":{{"title":"Lead nurturing 101"}},"timestamp":"{ts}"}}"#
            ),
            670..=709 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Cart Abandoned","properties":{{"cart_value":{}.5,"items":{}}},"timestamp":"{ts}"}}"#,
                rng.u32(10..300),
                rng.u32(1..6)
            ),
            710..=734 => format!(
                r#"{{"type":"track","userId":"{user}","event":"order.placed","properties":{{"order_id":"o-{i}","total":{}.{:02}}},"timestamp":"{ts}"}}"#,
                rng.u32(10..500),
                rng.u32(0..100)
            ),
            735..=779 => format!(
                r#"{{"type":"track","userId":"{user}","event":"form.submitted","properties":{{"form":"{}"}},"timestamp":"{ts}"}}"#,
                ["contact", "newsletter"][rng.usize(0..2)]
            ),
            780..=794 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Demo Requested","properties":{{"source":"pricing"}},"timestamp":"{ts}"}}"#
            ),
            795..=814 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Trial Started","properties":{{"plan":"{}"}},"timestamp":"{ts}"}}"#,
                ["solo", "team"][rng.usize(0..2)]
            ),
            815..=844 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Webinar Attended","properties":{{"webinar":"Scoring 101","minutes":{}}},"timestamp":"{ts}"}}"#,
                rng.u32(1..90)
            ),
            845..=854 => format!(
                r#"{{"type":"track","userId":"{user}","event":"email.unsubscribed","properties":{{"template":"newsletter"}},"timestamp":"{ts}"}}"#
            ),
            855..=874 => format!(
                r#"{{"type":"track","userId":"{user}","event":"Signed Up","timestamp":"{ts}"}}"#
            ),
            _ => format!(
                r#"{{"type":"identify","userId":"{user}","traits":{{"company_size":{},"job_title":"{}"}},"timestamp":"{ts}"}}"#,
                [5, 20, 80, 300, 1500, 8000][rng.usize(0..6)],
                titles[rng.usize(0..titles.len())],
            ),
        };
        out.push(line);
    }
    out
}
