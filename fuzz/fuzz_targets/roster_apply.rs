//! A sequence of socket frames decoded and merged into a roster, checking its ordering rule.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| bridgekeeper_fuzz::roster::exercise(data));
