//! Support for the fuzz targets: the campaign and event-stream generator, and the properties
//! every input must keep. `tests/hostile.rs` includes `gen.rs` and `props.rs` by path and
//! checks the same properties under proptest.

pub mod gen;
pub mod props;

/// Runs `f` on a thread with a stack of `NURTURE_FUZZ_STACK_MB` mebibytes when that variable
/// is set, and on the calling thread otherwise. A larger stack lets a fuzz run go on past the
/// known stack overflows on deeply nested input (docs/fuzzing.md, bugs B1 to B3) to look for
/// other crashes; without it, those inputs crash the target as they crash `nurture check`.
pub fn on_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mb = std::env::var("NURTURE_FUZZ_STACK_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    match mb {
        Some(mb) => std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(mb << 20)
                .spawn_scoped(s, f)
                .expect("a thread for the check")
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
        }),
        None => f(),
    }
}
