//! The policy on sends: `suppress when` rules, frequency caps, quiet hours in the lead's own
//! time zone.

use super::Machine;
use crate::lang::modes::Channel;
use crate::lang::value::Val;
use crate::vm::action::ActionKind;
use crate::vm::local_time::next_local_time;
use crate::vm::ring;
use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;

impl Machine {
    /// A send of `template` on `channel` now: suppressed by the rule that blocks it, or sent
    /// and counted against the channel's frequency caps.
    pub(super) fn send(
        &mut self,
        lead: u32,
        channel: Channel,
        template: u32,
        enrolled: Option<i64>,
    ) -> ActionKind {
        let template = self.c.pools.texts.get(template).to_string();
        match self.blocked(lead, channel, enrolled) {
            Some(rule) => {
                self.stats.suppressed += 1;
                ActionKind::Suppressed {
                    channel,
                    template,
                    rule,
                }
            }
            None => {
                for f in &self.c.policy.frequency {
                    if f.channel == channel {
                        ring::push(&mut self.leads[lead as usize], f.ring, self.now);
                    }
                }
                ActionKind::Send { channel, template }
            }
        }
    }

    /// The rule that blocks a send now, if any: `suppress when`, then frequency caps.
    fn blocked(&mut self, lead: u32, channel: Channel, enrolled: Option<i64>) -> Option<String> {
        for s in &self.c.policy.suppress {
            if self.test(lead, &s.cond, None, enrolled, false) {
                return Some(s.rule.clone());
            }
        }
        let l = &self.leads[lead as usize];
        self.c
            .policy
            .frequency
            .iter()
            .find(|f| {
                f.channel == channel
                    && ring::count(l, f.ring, self.now, Some(f.per), None) >= f.ring.cap
            })
            .map(|f| f.rule.clone())
    }

    /// When quiet hours hold a send now, the time they end.
    pub(super) fn quiet_until(&mut self, lead: u32) -> Option<i64> {
        let (from, to) = self.c.policy.quiet_hours?;
        let tz = self.zone(lead);
        let local = tz.timestamp_millis_opt(self.now).single()?.naive_local();
        let minute = local.hour() * 60 + local.minute();
        let quiet = if from < to {
            minute >= from && minute < to
        } else {
            minute >= from || minute < to
        };
        quiet.then(|| next_local_time(tz, self.now, to, false))
    }

    pub(super) fn zone(&mut self, lead: u32) -> Tz {
        let Some(attr) = self.c.timezone_attr else {
            return Tz::UTC;
        };
        let Val::Sym(s) = self.leads[lead as usize].attr(&self.c, attr) else {
            return Tz::UTC;
        };
        if let Some(tz) = self.zones.get(&s) {
            return *tz;
        }
        let tz = self.c.pools.texts.get(s).parse::<Tz>().unwrap_or(Tz::UTC);
        self.zones.insert(s, tz);
        tz
    }
}
