//! What the fuzz targets run, kept out of the `fuzz_target!` macros and out of the cargo-fuzz
//! workspace (`fuzz/`), so the stable test suite can replay every corpus and crash file through
//! the same code (`tests/`) without a nightly toolchain or cargo-fuzz.

pub mod notification;
pub mod roster;
