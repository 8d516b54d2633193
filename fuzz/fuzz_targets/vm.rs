//! The VM on random well-typed campaigns and event streams, both built from the input
//! (props::vm): the campaign checks clean and compiles, and two runs (from the checked program
//! and from its `.nbc` bytes) give the same actions, rejects and summary.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = nurture_fuzz::on_stack(|| nurture_fuzz::props::vm(data)) {
        panic!("{e}");
    }
});
