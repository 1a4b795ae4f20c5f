//! The fuzz targets' bodies live in `crates/fuzz-checks`, where the stable test suite replays the
//! corpora through them too; the targets reach them through this crate.

pub use bridgekeeper_fuzz_checks::{notification, roster};
