//! The statistics a report states: Wilson score intervals for a proportion, Newcombe's hybrid
//! score interval for a difference of two, the two-proportion z-test and the sample size a
//! difference needs. Normal quantiles and tails come from `statrs`.
//!
//! References: R. G. Newcombe, "Two-sided confidence intervals for the single proportion"
//! and "Interval estimation for the difference between independent proportions", Statistics
//! in Medicine 17 (1998) 857–872 and 873–890 (method 10 of the second is the hybrid score
//! interval); J. L. Fleiss, Statistical Methods for Rates and Proportions, for the sample size.

use statrs::distribution::{ContinuousCDF, Normal};

/// The confidence every interval of a report is stated at.
pub const CONFIDENCE: f64 = 0.95;
/// The power a sample size is computed for.
pub const POWER: f64 = 0.80;

fn normal() -> Normal {
    Normal::standard()
}

/// The standard normal quantile leaving `tail` above it (1.959964 for 0.025).
pub fn z_upper(tail: f64) -> f64 {
    normal().inverse_cdf(1.0 - tail)
}

/// The z of a two-sided interval at `CONFIDENCE`.
fn z95() -> f64 {
    z_upper((1.0 - CONFIDENCE) / 2.0)
}

/// `k` successes out of `n`: the rate, 0 when there is no one to count.
pub fn rate(k: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

/// Wilson's score interval for `k` of `n` at 95% (Newcombe 1998a, method 3), without
/// continuity correction; `(0, 1)` when `n` is 0.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    wilson_z(k, n, z95())
}

fn wilson_z(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Newcombe's hybrid score interval at 95% for the difference `k1/n1 − k2/n2` (Newcombe
/// 1998b, method 10): the difference's distance to each end combines the two Wilson
/// intervals' distances on the sides that move it.
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64) -> (f64, f64) {
    let (p1, p2) = (rate(k1, n1), rate(k2, n2));
    let ((l1, u1), (l2, u2)) = (wilson(k1, n1), wilson(k2, n2));
    let d = p1 - p2;
    let below = ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let above = ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    (d - below, d + above)
}

/// The pooled two-proportion z statistic for `k1/n1 − k2/n2`; 0 when it is undefined (no
/// one in a group, or everyone or no one converting in both).
pub fn z_statistic(k1: u64, n1: u64, k2: u64, n2: u64) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 0.0;
    }
    let pooled = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return 0.0;
    }
    (rate(k1, n1) - rate(k2, n2)) / se
}

/// The two-sided p-value of the pooled two-proportion z-test.
pub fn p_value(k1: u64, n1: u64, k2: u64, n2: u64) -> f64 {
    let z = z_statistic(k1, n1, k2, n2).abs();
    (2.0 * (1.0 - normal().cdf(z))).clamp(0.0, 1.0)
}

/// The leads each group needs for a two-sided test at 95% to find a true difference between
/// rates `p1` and `p2` with 80% power (Fleiss, without continuity correction); `None` when
/// the rates are equal, as no sample finds a difference of nothing.
pub fn sample_size(p1: f64, p2: f64) -> Option<u64> {
    let d = (p1 - p2).abs();
    if d < 1e-12 {
        return None;
    }
    let (za, zb) = (z95(), z_upper(1.0 - POWER));
    let mean = (p1 + p2) / 2.0;
    let n = (za * (2.0 * mean * (1.0 - mean)).sqrt()
        + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt())
    .powi(2)
        / (d * d);
    Some(n.ceil() as u64)
}

/// Whether an interval leaves zero out: the difference is significant at 95%.
pub fn excludes_zero((low, high): (f64, f64)) -> bool {
    low > 0.0 || high < 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: (f64, f64), want: (f64, f64)) {
        let r = |x: f64| (x * 10_000.0).round() / 10_000.0;
        assert_eq!((r(got.0), r(got.1)), want, "got {got:?}");
    }

    /// Newcombe 1998a, Table I, method 3 (score interval without continuity correction).
    #[test]
    fn wilson_matches_newcombe_1998a() {
        close(wilson(81, 263), (0.2553, 0.3662));
        close(wilson(15, 148), (0.0624, 0.1605));
        close(wilson(0, 20), (0.0, 0.1611));
        close(wilson(1, 29), (0.0061, 0.1718));
    }

    /// Newcombe 1998b, Table II, method 10 (hybrid score interval without continuity
    /// correction).
    #[test]
    fn newcombe_matches_newcombe_1998b() {
        close(newcombe(56, 70, 48, 80), (0.0524, 0.3339));
        close(newcombe(9, 10, 3, 10), (0.1705, 0.8090));
        close(newcombe(0, 10, 0, 20), (-0.1611, 0.2775));
        close(newcombe(0, 10, 0, 10), (-0.2775, 0.2775));
    }

    /// 56/70 against 48/80, by hand: pooled p = 104/150 = 0.693333, standard error
    /// sqrt(0.693333 × 0.306667 × (1/70 + 1/80)) = 0.075467, z = 0.2 / 0.075467 = 2.6502;
    /// two-sided p = 2 × (1 − Φ(2.6502)) = 0.00805.
    #[test]
    fn z_test_by_hand() {
        let z = z_statistic(56, 70, 48, 80);
        assert!((z - 2.6502).abs() < 1e-4, "z = {z}");
        let p = p_value(56, 70, 48, 80);
        assert!((p - 0.00805).abs() < 1e-5, "p = {p}");
        assert_eq!(p_value(5, 50, 5, 50), 1.0);
        assert_eq!(p_value(0, 0, 5, 50), 1.0);
    }

    /// 10% against 14%: (1.959964 √(2 × 0.12 × 0.88) + 0.841621 √(0.09 + 0.1204))² / 0.04² =
    /// (0.900732 + 0.386048)² / 0.0016 = 1,034.9, so 1,035 leads an arm.
    #[test]
    fn sample_size_by_hand() {
        assert_eq!(sample_size(0.10, 0.14), Some(1035));
        assert_eq!(sample_size(0.14, 0.10), Some(1035));
        assert_eq!(sample_size(0.2, 0.2), None);
    }

    #[test]
    fn significance_is_zero_left_out() {
        assert!(excludes_zero((0.01, 0.2)));
        assert!(excludes_zero((-0.3, -0.01)));
        assert!(!excludes_zero((-0.01, 0.2)));
    }
}
