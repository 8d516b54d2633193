//! Holdout groups (docs/language.md §11): whether a lead is held out of a workflow. A pure
//! function of the workflow's name, the lead's id and the share, so a lead gets the same
//! answer in every run, and one independent of the arm it would take at a split (which hashes
//! `workflow/lead`, modulo 100).
//!
//! The bucket takes the hash's high 32 bits, not the whole hash modulo 100: FNV-1a's low bits
//! depend only on the low bits of the key's bytes, so two hashes of keys ending in the same
//! lead id agree modulo 4, and `mod 100` of both would tie the holdout to the split arms (with
//! ids `u00000`… in `welcome`, 1,594 of 6,003 leads held out at 30% would hash to a 50% arm,
//! 36 standard deviations from half). The high bits mix every byte.

use crate::lang::hash::Fnv1a;

/// Whether `lead` is in the `share` percent of workflow `workflow`'s leads held out: the high
/// 32 bits of the FNV-1a 64 of `workflow/holdout/lead`, modulo 100, below the share.
pub fn held_out(share: u8, workflow: &str, lead: &str) -> bool {
    bucket(workflow, lead) < share as u64
}

/// The lead's holdout bucket in the workflow, 0 to 99.
pub fn bucket(workflow: &str, lead: &str) -> u64 {
    // Fed in pieces: the same hash as `fnv1a` of the joined key, with no key built.
    let mut h = Fnv1a::default();
    h.write(workflow.as_bytes());
    h.write(b"/holdout/");
    h.write(lead.as_bytes());
    (h.finish() >> 32) % 100
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::hash::fnv1a;

    #[test]
    fn the_bucket_is_the_hash_of_the_joined_key() {
        for (w, l) in [
            ("welcome", "ann"),
            ("w", ""),
            ("nurture_series", "lead-000123"),
        ] {
            let joined = (fnv1a(format!("{w}/holdout/{l}").as_bytes()) >> 32) % 100;
            assert_eq!(bucket(w, l), joined);
        }
    }

    #[test]
    fn a_share_holds_out_the_buckets_below_it() {
        let b = bucket("welcome", "ann");
        assert!(held_out(b as u8 + 1, "welcome", "ann"));
        assert!(!held_out(b as u8, "welcome", "ann"));
    }
}
