//! "Did you mean" suggestions for unknown names.

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= max_distance(name) && *c != name)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A help line for an unknown name: a suggestion, or the names that exist.
pub fn help<'a>(
    name: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<String> {
    if let Some(c) = closest(name, candidates.clone()) {
        return Some(format!("did you mean `{c}`?"));
    }
    let all: Vec<&str> = candidates.into_iter().collect();
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

fn max_distance(name: &str) -> usize {
    match name.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(
            closest("engagment", ["engagement", "fit"]),
            Some("engagement")
        );
        assert_eq!(closest("xyz", ["engagement", "fit"]), None);
    }
}
