//! A line of documentation for each reserved word, for hover (docs/language.md says more).

/// Words that share a construct share its line.
const DOCS: &[(&[&str], &str)] = &[
    (&["and", "or", "not"], "Combine conditions: `a and b`, `a or b`, `not a`."),
    (&["in"], "Membership: `lead.country in [\"US\", \"CA\"]`; in a test, `LEAD in LIST`; `not in` negates."),
    (&["is", "set", "missing"], "Whether an optional value is there: `lead.company is set`, `lead.phone is missing`. Inside `x is set and …`, `x` may be used as present."),
    (&["of"], "In tests and the REPL, a value for a named lead: `engagement of ana`."),
    (&["did"], "History: whether the lead did an event, `did demo.requested within 14d where source == \"web\"`."),
    (&["count"], "History: how many times the lead did an event, `count email.opened within 7d >= 3`."),
    (&["last"], "History: when the lead last did an event, `last page.viewed`."),
    (&["where"], "Filters an event by its properties: `on page.viewed where url contains \"/pricing\"`."),
    (&["within"], "Limits history to a recent window: `did email.clicked within 7d`."),
    (&["since", "enrolled"], "In a workflow, history since the lead entered it: `goal did demo.requested since enrolled`."),
    (&["now"], "The current time: the event's time in `run`, the clock in tests."),
    (&["true", "false"], "The two booleans."),
    (&["received"], "After `wait up to D for EVENT`: whether the event came before the time ran out."),
    (&["when"], "In a score, a rule that holds while its condition does: `when lead.company_size >= 200 add 20`."),
    (&["on"], "A rule or trigger that fires on an event (`on demo.requested add 40`, `on demo.requested start sales`) or on a list's change (`on enter hot …`)."),
    (&["add", "subtract"], "A score rule's effect: `add 10`, `subtract 5` (`set 0` puts the score at a value)."),
    (&["at", "most", "times", "per"], "A cap: `at most 5 times per 7d` on a score rule; `frequency email at most 3 per 7d` in a policy."),
    (&["every", "decay"], "A score that fades: `decay 50% every 14d` keeps half of it every two weeks."),
    (&["if", "else"], "A branch in a workflow: `if did webinar.attended { … } else { … }`."),
    (&["split"], "An A/B split in a workflow: `split { 50% \"a\" { … } 50% \"b\" { … } }`; each lead always takes the same arm."),
    (&["wait", "until", "up", "to", "for", "weekday"], "Pauses a workflow: `wait 2d`, `wait until weekday 10:00` (the lead's zone), `wait up to 3d for demo.requested`."),
    (&["start", "stop"], "Starts or stops a workflow for the lead: `start welcome`, `stop welcome`."),
    (&["send"], "Sends a message: `send email \"template-name\"` (channels: email, sms, push)."),
    (&["notify"], "Tells a team about the lead: `notify sales \"Hot lead: {lead.email}\"`."),
    (&["tag", "untag"], "Adds or removes a tag on the lead: `tag \"vip\"` (see `lead.tags`)."),
    (&["retarget"], "Adds the lead to, or removes it from, an ad audience: `retarget add \"warm-leads\"`."),
    (&["webhook"], "Posts the lead to a named webhook with fields: `webhook \"crm\" { score: fit }`."),
    (&["exit"], "`exit when COND` ends a workflow run when the condition holds; `on exit LIST` fires when a lead leaves a list."),
    (&["goal"], "A workflow's goal: when it holds, the run converts and ends: `goal did demo.requested since enrolled`."),
    (&["holdout"], "A workflow's holdout: `holdout 10%` keeps that share of its leads from every step, to measure the workflow against them (needs a `goal did E within D`)."),
    (&["enroll", "once", "only"], "Who enters a workflow: `enroll once`, `enroll once per 90d`, `enroll every time`; `only if COND` guards entry."),
    (&["policy", "frequency", "quiet", "hours", "suppress"], "Campaign-wide rules for messages: `policy { frequency email at most 3 per 7d  quiet hours 21:00 to 08:00  suppress when … }`."),
    (&["test", "expect", "after"], "A test block: leads, events at times (`at …`, `after 2d`), and `expect` lines, run by `nurture test`."),
    (&["lead"], "The lead schema (`lead { email: string … }`), or a lead's attribute in a condition: `lead.country`."),
    (&["event"], "Declares an event and its properties: `event demo.requested as \"Demo Requested\" { source: string }`."),
    (&["enum"], "Declares a set of named values: `enum Stage { marketing, sql, customer }`."),
    (&["score"], "Declares a number per lead, from rules (`score fit { … }`) or a formula (`score total = fit + engagement`)."),
    (&["list"], "Declares a smart list: the leads for whom a condition holds, `list hot = fit >= 30`."),
    (&["workflow"], "Declares a workflow: settings (`enroll`, `only if`, `exit when`, `goal`), then steps."),
    (&["campaign"], "Names the campaign: `campaign \"Spring launch\"`."),
    (&["as"], "An event's name in the Segment stream, when it differs: `event demo.requested as \"Demo Requested\"`."),
];

/// The documentation of a reserved word.
pub fn doc(word: &str) -> Option<&'static str> {
    DOCS.iter()
        .find(|(words, _)| words.contains(&word))
        .map(|(_, doc)| *doc)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_reserved_word_has_a_line_and_every_line_a_reserved_word() {
        for k in crate::syntax::lexer::keywords() {
            assert!(super::doc(k).is_some(), "`{k}` has no documentation");
        }
        for (words, _) in super::DOCS {
            for w in *words {
                assert!(
                    crate::syntax::lexer::is_keyword(w),
                    "`{w}` is no reserved word"
                );
            }
        }
    }
}
