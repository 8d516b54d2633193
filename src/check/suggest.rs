//! "Did you mean" suggestions for unknown names.
//!
//! Comparing an unknown name with every declared one costs a distance computation each; a
//! generated file with thousands of unknown names among thousands of declared ones would
//! need billions. So one check has a `Budget` of comparisons: far more than any campaign a
//! person writes needs, and past it unknown names are still reported, only without a
//! suggestion.

/// How many candidate names one check may compare unknown names with, in all.
pub const BUDGET: usize = 100_000;

/// What is left of a check's comparisons.
#[derive(Debug)]
pub struct Budget(usize);

impl Default for Budget {
    fn default() -> Budget {
        Budget(BUDGET)
    }
}

impl Budget {
    /// The candidates, one comparison each, or `None` when the budget runs out on the way
    /// (what was taken stays spent, so that many unknown names cost no more than the budget
    /// in all).
    fn take<'a>(&mut self, candidates: impl IntoIterator<Item = &'a str>) -> Option<Vec<&'a str>> {
        let mut out = Vec::new();
        for c in candidates {
            if self.0 == 0 {
                return None;
            }
            self.0 -= 1;
            out.push(c);
        }
        Some(out)
    }
}

/// The closest candidate to `name`, if one is close enough to be a likely typo (and the
/// budget covers the comparisons).
pub fn closest<'a>(
    budget: &mut Budget,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    closest_of(name, budget.take(candidates)?)
}

fn closest_of<'a>(name: &str, candidates: Vec<&'a str>) -> Option<&'a str> {
    crate::lang::spelling::nearest(name, candidates)
}

/// A help line for an unknown name: a suggestion, or the names that exist.
pub fn help<'a>(
    budget: &mut Budget,
    name: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let all = budget.take(candidates)?;
    if let Some(c) = closest_of(name, all.clone()) {
        return Some(format!("did you mean `{c}`?"));
    }
    match all.len() {
        0 => None,
        1..=8 => Some(format!(
            "the {what} are: {}",
            all.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let mut budget = Budget::default();
        assert_eq!(
            closest(&mut budget, "engagment", ["engagement", "fit"]),
            Some("engagement")
        );
        assert_eq!(closest(&mut budget, "xyz", ["engagement", "fit"]), None);
    }

    #[test]
    fn the_budget_bounds_the_comparisons() {
        let names: Vec<String> = (0..1000).map(|i| format!("name{i}")).collect();
        let mut budget = Budget(2_500);
        let mut suggested = 0;
        for _ in 0..1000 {
            if closest(&mut budget, "nam1", names.iter().map(|s| s.as_str())).is_some() {
                suggested += 1;
            }
        }
        // Two full rounds fit; the third runs the budget out; the rest cost nothing.
        assert_eq!(suggested, 2);
        assert_eq!(budget.0, 0);
        assert_eq!(closest(&mut budget, "fit", ["fti"]), None);
    }
}
