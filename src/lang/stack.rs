//! A roomy stack for the stages that recurse as deep as a file nests (parsing, checking,
//! formatting), whatever thread calls them.

/// The stack they run on. `syntax::limits` bounds the nesting; this bounds nothing else.
pub const ROOMY_STACK_BYTES: usize = 64 << 20;

/// Runs `f` on a scoped thread with `ROOMY_STACK_BYTES` of stack (test threads get 2 MiB),
/// or on this thread if no thread can be started; a panic in it is resumed here.
pub fn on_roomy_stack<T: Send>(f: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(ROOMY_STACK_BYTES)
            .spawn_scoped(scope, &f)
            .map(|handle| handle.join())
            .unwrap_or_else(|_| Ok(f()))
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
