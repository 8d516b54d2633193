//! The Segment JSON-lines intake on arbitrary lines (props::intake): the first byte picks a
//! campaign and strictness, the rest are lines; accepted records have values of the declared
//! types, refused ones a reason, and an engine runs over them all without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = nurture_fuzz::props::intake(data) {
        panic!("{e}");
    }
});
