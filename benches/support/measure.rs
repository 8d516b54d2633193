//! What the benches share to read their settings and report a spread.

/// A setting from the environment, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median, smallest and largest.
pub fn spread(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

/// Whether this is `cargo test` running the bench once (not `cargo bench`), the workload
/// (NURTURE_BENCH_SIZE: small by default, or `1m`) and the repetitions (NURTURE_BENCH_REPS, 3;
/// one under `cargo test`).
pub fn settings() -> (bool, super::workload::Size, usize) {
    let testing = !std::env::args().any(|a| a == "--bench");
    let size = match std::env::var("NURTURE_BENCH_SIZE").as_deref() {
        Ok("1m") => super::workload::Size::Million,
        _ => super::workload::Size::Small,
    };
    let reps = if testing {
        1
    } else {
        env_or("NURTURE_BENCH_REPS", 3)
    };
    (testing, size, reps)
}
