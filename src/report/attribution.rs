//! Attribution: each conversion's credit shared among the sends that touched the lead in
//! the goal window before it, by four models. None of them is causal: a lead who would have
//! bought anyway still credits the emails it received; the holdouts measure what is.

use super::collect::{Act, Facts, What};
use crate::lang::modes::Channel;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Time decay's half-life: a touch a week older earns half the credit.
pub const HALF_LIFE_MS: i64 = 7 * 86_400_000;

/// The four models, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    FirstTouch,
    LastTouch,
    Linear,
    TimeDecay,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model::FirstTouch,
        Model::LastTouch,
        Model::Linear,
        Model::TimeDecay,
    ];

    /// The model as a marketer names it.
    pub fn title(self) -> &'static str {
        match self {
            Model::FirstTouch => "first touch",
            Model::LastTouch => "last touch",
            Model::Linear => "linear",
            Model::TimeDecay => "time decay (7-day half-life)",
        }
    }

    /// Each touch's share of one conversion at `at`, the touches' times in order.
    pub fn shares(self, touches: &[i64], at: i64) -> Vec<f64> {
        let n = touches.len();
        let mut out = vec![0.0; n];
        if n == 0 {
            return out;
        }
        match self {
            Model::FirstTouch => out[0] = 1.0,
            Model::LastTouch => out[n - 1] = 1.0,
            Model::Linear => out.fill(1.0 / n as f64),
            Model::TimeDecay => {
                for (o, t) in out.iter_mut().zip(touches) {
                    *o = 0.5f64.powf((at - t) as f64 / HALF_LIFE_MS as f64);
                }
                let sum: f64 = out.iter().sum();
                out.iter_mut().for_each(|o| *o /= sum);
            }
        }
        out
    }
}

/// Credit by template and by channel, per model.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Attribution {
    pub first_touch: BTreeMap<String, f64>,
    pub last_touch: BTreeMap<String, f64>,
    pub linear: BTreeMap<String, f64>,
    pub time_decay: BTreeMap<String, f64>,
    /// The same credit by channel (`email`, `sms`, `push`), per model.
    pub channels: BTreeMap<&'static str, BTreeMap<&'static str, f64>>,
    /// Conversions of treated leads (holdouts excluded: nothing was sent to them).
    pub conversions: u64,
    /// Those with no send inside their goal window: credited to nothing.
    pub untouched: u64,
    /// The conversions the holdouts say the workflows caused, summed over the workflows that
    /// have a holdout (`null` when none has).
    pub incremental: Option<f64>,
}

impl Attribution {
    pub fn model(&self, m: Model) -> &BTreeMap<String, f64> {
        match m {
            Model::FirstTouch => &self.first_touch,
            Model::LastTouch => &self.last_touch,
            Model::Linear => &self.linear,
            Model::TimeDecay => &self.time_decay,
        }
    }

    fn model_mut(&mut self, m: Model) -> &mut BTreeMap<String, f64> {
        match m {
            Model::FirstTouch => &mut self.first_touch,
            Model::LastTouch => &mut self.last_touch,
            Model::Linear => &mut self.linear,
            Model::TimeDecay => &mut self.time_decay,
        }
    }
}

/// A send that touched a lead.
#[derive(Debug, Clone, Copy)]
struct Touch {
    at: i64,
    template: u32,
    channel: Channel,
}

/// Shares every treated conversion among the sends to its lead inside the goal window before
/// it (at the same instant included; with no `within` window, every earlier send).
pub fn attribute(facts: &Facts) -> Attribution {
    let mut touches: HashMap<u32, Vec<Touch>> = HashMap::new();
    let mut out = Attribution::default();
    for model in Model::ALL {
        out.channels.insert(model_key(model), BTreeMap::new());
    }
    // Actions come in time order, so each lead's touches do too.
    for &Act { lead, at, what } in &facts.acts {
        match what {
            What::Sent {
                channel, template, ..
            } => touches.entry(lead).or_default().push(Touch {
                at,
                template,
                channel,
            }),
            What::Converted {
                workflow,
                holdout: false,
            } => {
                out.conversions += 1;
                let window = facts.workflows[workflow as usize].window;
                let mine = touches.get(&lead).map_or(&[][..], Vec::as_slice);
                let from = window.map_or(i64::MIN, |w| at - w);
                let inside: Vec<Touch> = mine
                    .iter()
                    .filter(|t| t.at >= from && t.at <= at)
                    .copied()
                    .collect();
                if inside.is_empty() {
                    out.untouched += 1;
                    continue;
                }
                let times: Vec<i64> = inside.iter().map(|t| t.at).collect();
                for model in Model::ALL {
                    for (t, share) in inside.iter().zip(model.shares(&times, at)) {
                        if share == 0.0 {
                            continue;
                        }
                        let name = facts.templates.compact(t.template).to_string();
                        *out.model_mut(model).entry(name).or_default() += share;
                        let by_channel = out.channels.entry(model_key(model)).or_default();
                        *by_channel.entry(t.channel.name()).or_default() += share;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn model_key(m: Model) -> &'static str {
    match m {
        Model::FirstTouch => "first_touch",
        Model::LastTouch => "last_touch",
        Model::Linear => "linear",
        Model::TimeDecay => "time_decay",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn each_model_shares_one_conversion() {
        let touches = [0, 7 * DAY, 14 * DAY];
        let at = 14 * DAY;
        assert_eq!(Model::FirstTouch.shares(&touches, at), vec![1.0, 0.0, 0.0]);
        assert_eq!(Model::LastTouch.shares(&touches, at), vec![0.0, 0.0, 1.0]);
        assert_eq!(Model::Linear.shares(&touches, at), vec![1.0 / 3.0; 3]);
        // Weights 1/4, 1/2, 1 over 7/4: 1/7, 2/7, 4/7.
        let decay = Model::TimeDecay.shares(&touches, at);
        for (got, want) in decay.iter().zip([1.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0]) {
            assert!((got - want).abs() < 1e-12, "{decay:?}");
        }
        for m in Model::ALL {
            let sum: f64 = m.shares(&touches, at).iter().sum();
            assert!((sum - 1.0).abs() < 1e-12);
        }
        assert!(Model::Linear.shares(&[], at).is_empty());
    }
}
