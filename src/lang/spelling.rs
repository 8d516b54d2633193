//! "Did you mean": the nearest of some names to a word that is probably a typo of one of them.
//! The checker suggests declared names with it, the parser the words valid where a syntax
//! error is.

/// The candidate nearest to `word` (Damerau-Levenshtein distance: a swap of two letters is
/// one edit), if one is near enough to be a likely typo and is not `word` itself. The first of
/// equally near candidates wins.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= max_distance(word) && *c != word)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// How many edits a typo of `word` may have: fewer for short words, where one edit already
/// makes another word.
fn max_distance(word: &str) -> usize {
    match word.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_words_only() {
        assert_eq!(nearest("wiat", ["set", "wait", "send"]), Some("wait"));
        assert_eq!(nearest("sned", ["set", "wait", "send"]), Some("send"));
        assert_eq!(
            nearest("engagment", ["engagement", "fit"]),
            Some("engagement")
        );
        assert_eq!(nearest("xyz", ["engagement", "fit"]), None);
        assert_eq!(nearest("fit", ["fit"]), None);
    }
}
