//! What the fuzz targets run, kept out of the `fuzz_target!` macros so a plain test can replay a corpus.

pub mod notification;
pub mod roster;
