//! The benchmark workload: a large, valid campaign generated in memory.
//!
//! Shared by `benches/check.rs` and `tests/cli_check.rs` (which checks that the workload is
//! as large as claimed and has no error), so the benchmark always measures a real campaign.
//! The campaign is a schema and a policy around many product lines; each line has its own
//! events, scores (`when` and `on` rules, decay, caps), smart lists (`did`/`count`/`within`),
//! triggers and workflows (waits, `if`/`else if`, `wait up to … for` with `received`, splits,
//! webhooks), written as a marketer would, in the syntax of docs/language.md.

/// The campaign header: name, lead schema and enums.
const HEADER: &str = r#"// Generated benchmark campaign: many product lines, one schema, one policy.

campaign "Benchmark: product-line nurture"

lead {
  email: string
  first_name: string?
  last_name: string?
  job_title: string?
  company: string?
  company_size: int?
  industry: string?
  country: string?
  city: string?
  phone: string?
  timezone: timezone = "UTC"
  consent_email: bool = true
  consent_sms: bool = false
  stage: Stage = awareness
  plan: Plan = free
  seats: int = 1
  lifetime_value: number = 0
  signed_up: time?
  tags_imported: list<string>?
}

enum Stage { awareness, consideration, decision, customer }
enum Plan { free, starter, business, enterprise }
"#;

/// One product line; `~` stands for the line's number.
const LINE: &str = r#"
// ---- Product line ~ -------------------------------------------------------------------

event product~.viewed    { sku: string, price: number, category: string? }
event product~.carted    { sku: string, quantity: int, price: number }
event demo~.requested    { seats: int?, source: string }
event trial~.started     { plan: string, days: int }

score interest_~ "Interest in product line ~" {
  decay 25% every 14d
  on product~.viewed                              add 3   at most 10 times per 7d
  on product~.viewed where price >= 100           add 5
  on product~.carted where quantity > 1           add 10
  on demo~.requested                              add 25
  on trial~.started where days >= 14              add 15
  on email.clicked where template starts_with "line-~-"  add 4
  on email.unsubscribed                           set 0
}

score fit_~ "How well the lead fits line ~" {
  when lead.company_size ?? 0 >= 50               add 10
  when lead.country ?? "" in ["US", "GB", "DE"]   add 5
  when lead.job_title ?? "" matches "(?i)head|director|vp|chief"  add 15
  when lead.email ends_with "@gmail.com"          subtract 10
  when lead.plan == business or lead.plan == enterprise  add 20
}

score total_~ = fit_~ + interest_~ * 2

list viewers_~       = did product~.viewed within 7d
list big_spenders_~  = did product~.viewed where price >= 500 and sku starts_with "P~-" within 30d
list cart_left_~     = did product~.carted within 2d and not did order.placed within 2d
list engaged_~       = count product~.viewed within 30d >= 5 or count email.opened within 30d >= 3
list hot_~           = total_~ >= 60 and lead.stage != customer
list trialists_~     = did trial~.started within 30d and not (did order.placed within 30d)

on product~.carted where quantity >= 1          start cart_~
on demo~.requested where source != "partner"    start demo_~
on trial~.started                               start trial_~
on enter hot_~                                  start handoff_~
on exit hot_~                                   stop handoff_~
on enter engaged_~                              retarget add "engaged-line-~"
on exit engaged_~                               retarget remove "engaged-line-~"

workflow cart_~ "Cart recovery for line ~" {
  enroll once per 30d
  only if lead.consent_email
  exit when did order.placed since enrolled
  goal did order.placed within 7d

  wait 1h
  send email "line-~-cart-reminder"
  wait up to 1d for email.clicked where template == "line-~-cart-reminder"
  if received {
    send email "line-~-cart-thanks"
  } else if engaged_~ {
    send email "line-~-cart-discount"
  } else {
    send sms "line-~-cart-last-chance"
  }
  wait until weekday 10:00
  split {
    50% "A": send email "line-~-offer-a"
    30% "B": send email "line-~-offer-b"
    20% "C": {
      send email "line-~-offer-c"
      tag "offer-c"
    }
  }
}

workflow demo_~ "Demo follow-up for line ~" {
  enroll every time
  exit when did email.unsubscribed
  goal did order.placed within 30d

  notify owner "Demo of line ~ requested by {lead.email}"
  wait 2d
  send email "line-~-demo-prep"
  wait 5d
  if count demo~.requested since enrolled >= 2 {
    notify sales "{lead.email} asked twice for a demo of line ~"
  }
  webhook "crm-sync" { email: lead.email, line: ~, score: total_~ }
}

workflow trial_~ "Trial nurture for line ~" {
  enroll once
  only if lead.consent_email and lead.stage != customer
  exit when did order.placed
  goal did order.placed within 30d

  send email "line-~-trial-welcome"
  wait 3d
  if did product~.viewed since enrolled {
    send email "line-~-trial-tips"
  } else {
    send email "line-~-trial-nudge"
  }
  wait 7d
  if lead.consent_sms {
    send sms "line-~-trial-ending"
  }
  wait until 09:30
  send email "line-~-trial-last-day"
}

workflow handoff_~ "Sales hand-off for line ~" {
  exit when lead.stage == customer

  notify sales "Hot lead {lead.email}: {total_~} points on line ~"
  wait 14d
  if not did order.placed since enrolled {
    set lead.stage = consideration
    untag "hot-line-~"
    notify sales "{lead.email} went back to marketing"
  } else {
    set lead.stage = customer
    tag "customer-line-~"
  }
}
"#;

/// The guardrails, once at the end.
const POLICY: &str = r#"
policy {
  frequency email at most 3 per 7d
  frequency sms at most 1 per 1d
  quiet hours 21:00 to 08:00
  suppress when not lead.consent_email or did email.unsubscribed
}
"#;

/// A campaign of at least `min_lines` lines: the header, as many product lines as it takes,
/// and the policy.
pub fn campaign(min_lines: usize) -> String {
    let fixed = HEADER.lines().count() + POLICY.lines().count();
    let per_line = LINE.lines().count();
    let lines_needed = min_lines.saturating_sub(fixed).div_ceil(per_line).max(1);
    let mut out = String::with_capacity(HEADER.len() + POLICY.len() + lines_needed * LINE.len());
    out.push_str(HEADER);
    for n in 1..=lines_needed {
        out.push_str(&LINE.replace('~', &n.to_string()));
    }
    out.push_str(POLICY);
    out
}
