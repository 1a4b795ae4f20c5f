//! Timestamps in the Genesys wire format (`2024-05-01T10:00:00.000Z`).

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A UTC instant that decodes any RFC 3339 text and writes Genesys' millisecond form, so fixtures round-trip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Wraps a chrono instant (tests, the emulator, "now").
    pub fn new(instant: DateTime<Utc>) -> Self {
        Self(instant)
    }

    /// The instant, for durations such as "time on the call".
    pub fn instant(&self) -> DateTime<Utc> {
        self.0
    }

    /// Parses RFC 3339 text; exposed so callers and tests need not depend on chrono's parser rules.
    pub fn parse(text: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(text).map(|t| Self(t.with_timezone(&Utc)))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self(instant)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v)
                    .map_err(|e| E::custom(format_args!("invalid date-time {v:?}: {e}")))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_milliseconds_and_z() {
        let t: Timestamp = serde_json::from_str("\"2024-05-01T10:00:00Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-05-01T10:00:00.000Z\""
        );
        let t: Timestamp = serde_json::from_str("\"2024-05-01T12:00:00.250+02:00\"").unwrap();
        assert_eq!(t.to_string(), "2024-05-01T10:00:00.250Z");
    }

    #[test]
    fn bad_text_names_the_value() {
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"").unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }
}
