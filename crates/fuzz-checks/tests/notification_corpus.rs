//! Replays the fuzz corpora and any crash artifacts through the `notification_decode` fuzz target's
//! code on stable, so a fixed crash stays fixed without a nightly toolchain or cargo-fuzz.

use std::path::{Path, PathBuf};

use bridgekeeper_fuzz_checks::notification;
use genesys_model::Notification;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every file one level below `dir/<target>/`, sorted.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(targets) = std::fs::read_dir(dir) else {
        return files;
    };
    for target in targets.flatten() {
        let Ok(entries) = std::fs::read_dir(target.path()) else {
            continue;
        };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

/// A frame of a `roster_apply` input, without its optional `@<ms> ` observation prefix.
fn frame(line: &[u8]) -> &[u8] {
    match line.strip_prefix(b"@") {
        Some(rest) => match rest.iter().position(|b| *b == b' ') {
            Some(space) => &rest[space + 1..],
            None => line,
        },
        None => line,
    }
}

#[test]
fn corpus_and_artifacts_decode_without_panicking() {
    let dir = fuzz_dir();
    let corpus = inputs(&dir.join("corpus"));
    assert!(
        corpus.len() >= 9,
        "the committed seeds are missing under {}",
        dir.display()
    );
    let artifacts = inputs(&dir.join("artifacts"));
    for path in corpus.iter().chain(&artifacts) {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Each input whole (notification_decode), then each line as a frame (roster_apply).
        notification::exercise(&data);
        for line in data.split(|b| *b == b'\n') {
            notification::exercise(frame(line));
        }
    }
}

#[test]
fn seed_events_decode() {
    let seeds = fuzz_dir().join("corpus/notification_decode");
    let mut decoded = 0;
    for entry in std::fs::read_dir(&seeds).expect("seed directory") {
        let path = entry.expect("entry").path();
        if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("seed text");
        if let Err(e) = Notification::decode(&text) {
            panic!("seed {} no longer decodes: {e}", path.display());
        }
        decoded += 1;
    }
    assert!(
        decoded >= 5,
        "only {decoded} seeds under {}",
        seeds.display()
    );
}
