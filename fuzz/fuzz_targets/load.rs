//! Feeds arbitrary bytes to the document loader as one stack document; what is checked is in
//! `check/load.rs`, shared with the tests that run this check in the normal suite.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../check/load.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check::check(data) {
        panic!("{e}");
    }
});
