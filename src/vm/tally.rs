//! What each score's `on` rules did for each lead: how often each counted, how often its
//! `at most N per D` cap stopped it, when it last counted, and what it adds now.
//!
//! Lead state keeps one accumulated value per score, the sum of what its `on` rules added,
//! decayed. To break a score down rule by rule, the machine also keeps this tally, written as
//! it applies each rule, when asked to (`Machine::keep_tallies`): the REPL and `--state`
//! runs keep it, and the state database stores it beside each lead, so `:show` and `nurture
//! state --lead` explain a score from the same record. A plain run keeps none, and pays
//! nothing for it.
//!
//! A rule's points decay with its score from the moment it last counted, so the rules' points
//! add up to the accumulated value at any later time: decay is the same factor for every part.
//! A `set` rule replaces the accumulated value: it wipes the points of the score's other rules.

use crate::compile::program::ScoreKind;
use crate::compile::Compiled;
use crate::lang::ops::EffectKind;

/// One `on` rule of one lead.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Events it counted.
    pub counted: u32,
    /// Events it matched that its cap stopped.
    pub capped: u32,
    /// When it last counted, from which its points decay; meaningless while `counted` is 0.
    pub last: i64,
    /// What it added, as of `last`: negative for `subtract`.
    pub points: f64,
}

impl Tally {
    /// When it last counted.
    pub fn last_counted(&self) -> Option<i64> {
        (self.counted > 0).then_some(self.last)
    }

    /// Its points at `now`, decayed by `decay` (the fraction kept after each period) since it
    /// last counted.
    pub fn points_at(&self, now: i64, decay: Option<(f64, i64)>) -> f64 {
        match decay {
            Some((keep, every)) if now > self.last => {
                self.points * keep.powf((now - self.last) as f64 / every as f64)
            }
            _ => self.points,
        }
    }
}

/// Bytes of one rule's tally in a stored row: rule u16, counted u32, capped u32, last i64,
/// points f64, little-endian.
const STORED_BYTES: usize = 26;

/// Every lead's tallies, when kept.
#[derive(Debug, Default)]
pub struct Tallies {
    on: bool,
    /// Per score, the number of its first `on` rule among all scores' rules.
    first: Vec<u16>,
    /// Rules in all.
    rules: u16,
    /// Per lead, the rules that did something, by number, in the order they first did.
    leads: Vec<Vec<(u16, Tally)>>,
}

impl Tallies {
    pub fn new(c: &Compiled) -> Tallies {
        let mut t = Tallies::default();
        for s in &c.scores {
            t.first.push(t.rules);
            if let ScoreKind::Rules { on, .. } = &s.kind {
                t.rules += on.len() as u16;
            }
        }
        t
    }

    /// Keeps tallies from now on.
    pub fn keep(&mut self) {
        self.on = true;
    }

    pub fn kept(&self) -> bool {
        self.on
    }

    fn entry(&mut self, lead: u32, rule: u16) -> &mut Tally {
        if self.leads.len() <= lead as usize {
            self.leads.resize_with(lead as usize + 1, Vec::new);
        }
        let row = &mut self.leads[lead as usize];
        let at = match row.iter().position(|(r, _)| *r == rule) {
            Some(at) => at,
            None => {
                row.push((rule, Tally::default()));
                row.len() - 1
            }
        };
        &mut row[at].1
    }

    /// Rule `r` of score `s` matched an event for the lead and its cap stopped it.
    pub fn capped(&mut self, lead: u32, s: u16, r: u16) {
        if self.on {
            self.entry(lead, self.first[s as usize] + r).capped += 1;
        }
    }

    /// Rule `r` of score `s` counted for the lead at `now`: `effect` by `amount`, on a score
    /// that decays by `decay`.
    pub fn counted(
        &mut self,
        lead: u32,
        (s, r): (u16, u16),
        effect: EffectKind,
        amount: f64,
        now: i64,
        decay: Option<(f64, i64)>,
    ) {
        if !self.on {
            return;
        }
        let rule = self.first[s as usize] + r;
        if effect == EffectKind::Set {
            // The accumulated value starts over: what the score's other rules added is gone.
            let first = self.first[s as usize];
            let own = first..first + self.rules_of(s);
            if let Some(row) = self.leads.get_mut(lead as usize) {
                for (_, t) in row.iter_mut().filter(|(x, _)| own.contains(x)) {
                    t.points = 0.0;
                }
            }
        }
        let t = self.entry(lead, rule);
        let before = t.points_at(now, decay);
        t.points = match effect {
            EffectKind::Add => before + amount,
            EffectKind::Subtract => before - amount,
            EffectKind::Set => amount,
        };
        t.counted += 1;
        t.last = now;
    }

    fn rules_of(&self, s: u16) -> u16 {
        let next = self
            .first
            .get(s as usize + 1)
            .copied()
            .unwrap_or(self.rules);
        next - self.first[s as usize]
    }

    /// The tallies of score `s`'s rules for a lead, by rule (all zero for a rule that never
    /// did anything, or when none are kept).
    pub fn of(&self, lead: u32, s: u16) -> Vec<Tally> {
        let first = self.first.get(s as usize).copied().unwrap_or(0);
        let mut out = vec![Tally::default(); self.rules_of(s) as usize];
        for (rule, t) in self.leads.get(lead as usize).into_iter().flatten() {
            if let Some(slot) = rule
                .checked_sub(first)
                .and_then(|i| out.get_mut(i as usize))
            {
                *slot = *t;
            }
        }
        out
    }

    /// A lead's tallies as stored beside its slab; empty when it has none.
    pub fn stored(&self, lead: u32, out: &mut Vec<u8>) {
        out.clear();
        for (rule, t) in self.leads.get(lead as usize).into_iter().flatten() {
            out.extend_from_slice(&rule.to_le_bytes());
            out.extend_from_slice(&t.counted.to_le_bytes());
            out.extend_from_slice(&t.capped.to_le_bytes());
            out.extend_from_slice(&t.last.to_le_bytes());
            out.extend_from_slice(&t.points.to_le_bytes());
        }
    }

    /// Puts back a lead's stored tallies; refused when they are cut short or name a rule the
    /// program does not have.
    pub fn restore(&mut self, lead: u32, bytes: &[u8]) -> Result<(), String> {
        if !bytes.len().is_multiple_of(STORED_BYTES) {
            return Err("its rule tallies are cut short".into());
        }
        let mut row = Vec::with_capacity(bytes.len() / STORED_BYTES);
        for b in bytes.chunks_exact(STORED_BYTES) {
            let rule = u16::from_le_bytes([b[0], b[1]]);
            if rule >= self.rules || row.iter().any(|(r, _)| *r == rule) {
                return Err(format!("a tally names rule {rule} of {}", self.rules));
            }
            let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
            let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            row.push((
                rule,
                Tally {
                    counted: u32_at(2),
                    capped: u32_at(6),
                    last: u64_at(10) as i64,
                    points: f64::from_bits(u64_at(18)),
                },
            ));
        }
        if self.leads.len() <= lead as usize {
            self.leads.resize_with(lead as usize + 1, Vec::new);
        }
        self.leads[lead as usize] = row;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_tallies_come_back_as_they_were() {
        let mut t = Tallies {
            on: true,
            first: vec![0, 2],
            rules: 3,
            leads: Vec::new(),
        };
        t.counted(4, (1, 0), EffectKind::Add, 2.5, 100, None);
        t.capped(4, 0, 1);
        let mut bytes = Vec::new();
        t.stored(4, &mut bytes);
        assert_eq!(bytes.len(), 2 * STORED_BYTES);
        let mut back = Tallies {
            first: vec![0, 2],
            rules: 3,
            ..Tallies::default()
        };
        back.restore(4, &bytes).unwrap();
        assert_eq!(back.of(4, 0), t.of(4, 0));
        assert_eq!(
            back.of(4, 1),
            [Tally {
                counted: 1,
                capped: 0,
                last: 100,
                points: 2.5
            }]
        );
        assert!(back.restore(4, &bytes[1..]).is_err());
        assert!(back.restore(4, &[9, 0].repeat(13)).is_err());
    }
}
