//! Arbitrary socket text through the notification envelope, the typed body and the participant views.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| bridgekeeper_fuzz::notification::exercise(data));
