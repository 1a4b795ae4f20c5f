//! Replays the `roster_apply` fuzz corpus and any crash artifacts through that target's own code on
//! stable: every frame merged into a `RosterModel` with the ordering rule checked after each, so a
//! roster crash the fuzzer found stays fixed without a nightly toolchain or cargo-fuzz.

use std::path::{Path, PathBuf};

use bridgekeeper_fuzz_checks::roster;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn roster_corpus_and_artifacts_keep_the_ordering_rule() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let corpus = files(&fuzz.join("corpus/roster_apply"));
    assert!(
        corpus.len() >= 3,
        "the committed roster_apply seeds are missing under {}",
        fuzz.display()
    );
    for path in corpus
        .iter()
        .chain(&files(&fuzz.join("artifacts/roster_apply")))
    {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        roster::exercise(&data);
    }
}
