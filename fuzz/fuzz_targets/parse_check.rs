//! The parser and checker on arbitrary bytes (props::check_bytes): never a panic, a program
//! exactly when there is no error, spans inside the text, every renderer copes, and a program
//! always compiles.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = nurture_fuzz::on_stack(|| nurture_fuzz::props::check_bytes(data).map(|_| ())) {
        panic!("{e}");
    }
});
