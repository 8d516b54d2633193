//! From facts to figures, per workflow: the outcome against the holdout, each split's arms,
//! each step's funnel.

use super::collect::{Engaged, Facts, What};
use super::stats;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How long after a send an unsubscribe is counted against its step.
pub const UNSUBSCRIBE_WINDOW_MS: i64 = 7 * 86_400_000;

/// A group of leads and how many converted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub enrolled: u64,
    pub converted: u64,
    pub rate: f64,
    /// Wilson's 95% interval for the rate.
    pub ci95: [f64; 2],
}

impl Group {
    pub fn of(converted: u64, enrolled: u64) -> Group {
        let (low, high) = stats::wilson(converted, enrolled);
        Group {
            enrolled,
            converted,
            rate: stats::rate(converted, enrolled),
            ci95: [low, high],
        }
    }
}

/// A difference of two rates, `a − b`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub absolute: f64,
    /// The difference over `b`'s rate; `null` when `b` converts no one.
    pub relative: Option<f64>,
    /// Newcombe's hybrid score 95% interval for the absolute difference.
    pub ci95: [f64; 2],
    /// The pooled two-proportion z-test's two-sided p-value.
    pub p_value: f64,
    /// Whether the interval leaves zero out.
    pub significant: bool,
}

impl Difference {
    pub fn of(a: &Group, b: &Group) -> Difference {
        let (low, high) = stats::newcombe(a.converted, a.enrolled, b.converted, b.enrolled);
        let absolute = a.rate - b.rate;
        Difference {
            absolute,
            relative: (b.rate > 0.0).then(|| absolute / b.rate),
            ci95: [low, high],
            p_value: stats::p_value(a.converted, a.enrolled, b.converted, b.enrolled),
            significant: stats::excludes_zero((low, high)),
        }
    }
}

/// The workflow's lift: treated against held out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lift {
    #[serde(flatten)]
    pub difference: Difference,
    /// The conversions the workflow caused among the treated: the lift times the treated.
    pub incremental: f64,
    pub incremental_ci95: [f64; 2],
}

/// One arm of a split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    pub label: String,
    #[serde(flatten)]
    pub group: Group,
    /// This arm against the first (`null` for the first).
    pub vs_first: Option<Versus>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versus {
    #[serde(flatten)]
    pub difference: Difference,
    /// Leads each arm needs to find the observed difference at 95% with 80% power.
    pub sample_size_per_arm: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    pub arms: Vec<Arm>,
    /// The arm whose difference from the first is significant and best, if one is.
    pub winner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub step: String,
    /// Leads with any record of this step.
    pub reached: u64,
    pub sent: u64,
    pub suppressed: u64,
    /// Suppressed sends by the rule that stopped them, as written.
    pub suppressed_by: BTreeMap<String, u64>,
    /// Leads sent to by this step who opened (clicked) its template afterwards.
    pub opened: u64,
    pub clicked: u64,
    /// Opened (clicked) over the leads sent to.
    pub open_rate: f64,
    pub click_rate: f64,
    /// Leads sent to by this step who unsubscribed within 7 days after.
    pub unsubscribed_7d: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workflow {
    pub name: String,
    /// Leads enrolled, held out or not.
    pub enrolled: u64,
    pub treated: Group,
    /// `null` for a workflow with no holdout.
    pub holdout: Option<Group>,
    /// `null` for a workflow with no holdout.
    pub lift: Option<Lift>,
    pub splits: Vec<Split>,
    pub steps: Vec<Step>,
}

const ENROLLED: u8 = 1;
const HELD_OUT: u8 = 2;
const CONVERTED: u8 = 4;

/// Per workflow, from the facts.
pub fn workflows(facts: &Facts) -> Vec<Workflow> {
    (0..facts.workflows.len())
        .map(|w| workflow(facts, w as u16))
        .collect()
}

/// What one lead did in a workflow, as flags, and its arm at each split.
fn leads_of(facts: &Facts, w: u16) -> (Vec<u8>, Vec<HashMap<u32, u32>>) {
    let shape = &facts.workflows[w as usize];
    let leads = facts
        .acts
        .iter()
        .map(|a| a.lead as usize + 1)
        .max()
        .unwrap_or(0);
    let mut flags = vec![0u8; leads];
    let mut arms = vec![HashMap::new(); shape.splits.len()];
    let mut mark = |lead: u32, f: u8| flags[lead as usize] |= f;
    for a in &facts.acts {
        match a.what {
            What::Holdout { workflow } if workflow == w => mark(a.lead, ENROLLED | HELD_OUT),
            What::Converted { workflow, holdout } if workflow == w => mark(
                a.lead,
                ENROLLED | CONVERTED | if holdout { HELD_OUT } else { 0 },
            ),
            What::Enrolled { workflow } | What::Step { workflow, .. } if workflow == w => {
                mark(a.lead, ENROLLED)
            }
            What::Sent {
                step: Some((workflow, _)),
                ..
            }
            | What::Suppressed {
                step: Some((workflow, _)),
                ..
            } if workflow == w => mark(a.lead, ENROLLED),
            What::Assigned { workflow, variant } if workflow == w => {
                mark(a.lead, ENROLLED);
                if let Some(s) = shape.splits.iter().position(|arms| arms.contains(&variant)) {
                    arms[s].entry(a.lead).or_insert(variant);
                }
            }
            _ => {}
        }
    }
    (flags, arms)
}

fn workflow(facts: &Facts, w: u16) -> Workflow {
    let shape = &facts.workflows[w as usize];
    let (flags, arms) = leads_of(facts, w);
    let count = |want: u8| flags.iter().filter(|&&f| f & want == want).count() as u64;
    let held = count(ENROLLED | HELD_OUT);
    let held_converted = count(HELD_OUT | CONVERTED);
    let enrolled = count(ENROLLED);
    let treated_converted = count(CONVERTED) - held_converted;
    let treated = Group::of(treated_converted, enrolled - held);
    let has_holdout = held > 0;
    let holdout = has_holdout.then(|| Group::of(held_converted, held));
    let lift = holdout.as_ref().map(|h| {
        let difference = Difference::of(&treated, h);
        let n = treated.enrolled as f64;
        Lift {
            incremental: difference.absolute * n,
            incremental_ci95: [difference.ci95[0] * n, difference.ci95[1] * n],
            difference,
        }
    });
    let splits = shape
        .splits
        .iter()
        .zip(&arms)
        .map(|(labels, taken)| split(facts, labels, taken, &flags))
        .collect();
    Workflow {
        name: shape.name.clone(),
        enrolled,
        treated,
        holdout,
        lift,
        splits,
        steps: steps(facts, w),
    }
}

fn split(facts: &Facts, labels: &[u32], taken: &HashMap<u32, u32>, flags: &[u8]) -> Split {
    let groups: Vec<Group> = labels
        .iter()
        .map(|&v| {
            let leads = taken.iter().filter(|(_, &arm)| arm == v);
            let (mut n, mut k) = (0, 0);
            for (lead, _) in leads {
                n += 1;
                let f = flags.get(*lead as usize).copied().unwrap_or(0);
                k += u64::from(f & CONVERTED != 0 && f & HELD_OUT == 0);
            }
            Group::of(k, n)
        })
        .collect();
    let arms: Vec<Arm> = labels
        .iter()
        .zip(&groups)
        .enumerate()
        .map(|(i, (&v, g))| Arm {
            label: facts.variants.compact(v).to_string(),
            group: g.clone(),
            vs_first: (i > 0).then(|| Versus {
                difference: Difference::of(g, &groups[0]),
                sample_size_per_arm: stats::sample_size(g.rate, groups[0].rate),
            }),
        })
        .collect();
    // The winner: the best arm, when it beats every other significantly against the first.
    let best = arms
        .iter()
        .max_by(|a, b| a.group.rate.total_cmp(&b.group.rate));
    let winner = best.and_then(|b| {
        let first_best = b.vs_first.is_none();
        let beats_first = b
            .vs_first
            .as_ref()
            .is_some_and(|v| v.difference.significant);
        let all_below_first = arms[1..].iter().all(|a| {
            a.vs_first
                .as_ref()
                .is_some_and(|v| v.difference.significant)
        });
        (beats_first || (first_best && arms.len() > 1 && all_below_first)).then(|| b.label.clone())
    });
    Split { arms, winner }
}

/// The steps of workflow `w` with their sends, suppressions and engagement.
fn steps(facts: &Facts, w: u16) -> Vec<Step> {
    let shape = &facts.workflows[w as usize];
    let n = shape.steps.len();
    let mut reached: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    let mut sent = vec![0u64; n];
    let mut sent_to: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    let mut suppressed: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); n];
    // Per lead, its first send from each step: (step, template, time).
    let mut first_sends: HashMap<u32, Vec<(usize, u32, i64)>> = HashMap::new();
    for a in &facts.acts {
        match a.what {
            What::Sent {
                step: Some((workflow, s)),
                template,
                ..
            } if workflow == w => {
                let s = s as usize;
                sent[s] += 1;
                reached[s].insert(a.lead);
                if sent_to[s].insert(a.lead) {
                    first_sends
                        .entry(a.lead)
                        .or_default()
                        .push((s, template, a.at));
                }
            }
            What::Suppressed {
                step: Some((workflow, s)),
                rule,
            } if workflow == w => {
                reached[s as usize].insert(a.lead);
                let rule = facts.rules.compact(rule).to_string();
                *suppressed[s as usize].entry(rule).or_default() += 1;
            }
            What::Step { workflow, step } if workflow == w => {
                reached[step as usize].insert(a.lead);
            }
            _ => {}
        }
    }
    let mut opened: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    let mut clicked: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    let mut unsubscribed: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    for e in &facts.engagement {
        let Some(sends) = first_sends.get(&e.lead) else {
            continue;
        };
        for &(s, template, at) in sends {
            let after = e.at >= at;
            match e.kind {
                Engaged::Opened if after && e.template == template => opened[s].insert(e.lead),
                Engaged::Clicked if after && e.template == template => clicked[s].insert(e.lead),
                Engaged::Unsubscribed if after && e.at - at <= UNSUBSCRIBE_WINDOW_MS => {
                    unsubscribed[s].insert(e.lead)
                }
                _ => false,
            };
        }
    }
    (0..n)
        .map(|s| {
            let sent_to = sent_to[s].len() as u64;
            Step {
                step: shape.steps[s].clone(),
                reached: reached[s].len() as u64,
                sent: sent[s],
                suppressed: suppressed[s].values().sum(),
                suppressed_by: std::mem::take(&mut suppressed[s]),
                opened: opened[s].len() as u64,
                clicked: clicked[s].len() as u64,
                open_rate: stats::rate(opened[s].len() as u64, sent_to),
                click_rate: stats::rate(clicked[s].len() as u64, sent_to),
                unsubscribed_7d: unsubscribed[s].len() as u64,
            }
        })
        .collect()
}
