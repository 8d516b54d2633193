//! The reference workload: Segment JSON lines for N leads over D days, deterministic from a
//! seed, with a realistic mix of page views, email opens and clicks, form fills, ebook
//! downloads, carts, orders, identifies and a few events the campaign does not declare.

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
