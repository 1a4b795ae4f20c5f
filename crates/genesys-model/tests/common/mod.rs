//! Shared helpers for the model's fixture tests.

#![allow(dead_code)]

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads a fixture from `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Asserts that every key/value written in `encoded` exists with the same value in `original`.
/// Together with decode(encode(x)) == x this shows nothing modelled is lost, renamed or respelled.
pub fn assert_subset(encoded: &Value, original: &Value, path: &str) {
    match (encoded, original) {
        (Value::Object(e), Value::Object(o)) => {
            for (k, v) in e {
                let child = format!("{path}.{k}");
                let Some(ov) = o.get(k) else {
                    panic!("{child} was written but is not in the fixture")
                };
                assert_subset(v, ov, &child);
            }
        }
        (Value::Array(e), Value::Array(o)) => {
            assert_eq!(e.len(), o.len(), "{path}: array length changed");
            for (i, (ev, ov)) in e.iter().zip(o).enumerate() {
                assert_subset(ev, ov, &format!("{path}[{i}]"));
            }
        }
        (e, o) => assert_eq!(e, o, "{path}: value changed"),
    }
}

/// Decodes a fixture as `T`, re-encodes it, checks the encoding is a faithful subset and decodes to
/// the same value. Returns the decoded value and how many leaf values were written.
pub fn round_trip<T>(name: &str) -> (T, usize)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let text = fixture(name);
    let original: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let decoded: T = genesys_model::decode_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let encoded = serde_json::to_value(&decoded).expect("encodes");
    assert_subset(&encoded, &original, "$");
    let again: T = serde_json::from_value(encoded.clone()).expect("re-decodes");
    assert_eq!(decoded, again, "{name}: decode(encode(x)) != x");
    (decoded, leaves(&encoded))
}

/// Counts scalar leaves, to show a round trip was not vacuous.
pub fn leaves(value: &Value) -> usize {
    match value {
        Value::Object(m) => m.values().map(leaves).sum(),
        Value::Array(a) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}
