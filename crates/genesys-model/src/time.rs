//! Timestamps in the Genesys wire format (`2024-05-01T10:00:00.000Z`).

use std::fmt;

use chrono::{DateTime, Datelike, SecondsFormat, SubsecRound, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A UTC instant that decodes any RFC 3339 text and writes Genesys' millisecond form, so fixtures round-trip.
///
/// It holds whole milliseconds only (finer digits are truncated on the way in), so it is exactly what
/// it writes: a decoded, re-encoded and re-decoded value compares equal, and two instants that print
/// alike are equal for the roster's change detection.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Wraps a chrono instant (tests, the emulator, "now"), truncated to the millisecond it writes.
    pub fn new(instant: DateTime<Utc>) -> Self {
        Self(instant.trunc_subsecs(3))
    }

    /// The instant, for durations such as "time on the call".
    pub fn instant(&self) -> DateTime<Utc> {
        self.0
    }

    /// Parses RFC 3339 text; exposed so callers and tests need not depend on chrono's parser rules.
    /// An offset that moves the instant out of the years 0000-9999 is refused: it could not be written back.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let utc = DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc);
        if !(0..=9999).contains(&utc.year()) {
            return Err(TimestampError::OutOfRange);
        }
        Ok(Self::new(utc))
    }
}

/// Why text is not a [`Timestamp`], so the decode error can say which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Not RFC 3339 text.
    #[error("{0}")]
    Syntax(#[from] chrono::ParseError),
    /// Valid text whose UTC instant falls outside the four-digit years RFC 3339 can write.
    #[error("the instant in UTC is outside the years 0000-9999")]
    OutOfRange,
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::new(instant)
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
    fn sub_millisecond_digits_are_truncated_so_the_value_round_trips() {
        // Found by the notification_decode fuzz target: `09:07:01.0001Z` decoded to a value that wrote
        // `09:07:01.000Z` and then decoded to a different value.
        for (text, written) in [
            ("2026-11-22T09:07:01.0001Z", "2026-11-22T09:07:01.000Z"),
            ("2026-11-22T09:07:01.123999999Z", "2026-11-22T09:07:01.123Z"),
            (
                "2026-11-22T09:07:01.999999+01:00",
                "2026-11-22T08:07:01.999Z",
            ),
        ] {
            let t: Timestamp = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(t.to_string(), written);
            let again: Timestamp =
                serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
            assert_eq!(again, t, "{text}");
        }
        let now = Utc::now();
        assert_eq!(
            Timestamp::new(now),
            Timestamp::parse(&Timestamp::new(now).to_string()).unwrap()
        );
        assert!(Timestamp::new(now).instant() <= now);
    }

    #[test]
    fn offsets_that_leave_four_digit_years_are_refused() {
        // Found by reasoning about the fuzz target's round trip: these decoded, then wrote
        // `+10000-01-01T00:59:59.000Z` and `-0001-12-31T23:00:00.000Z`, which no parser reads back.
        for text in [
            "9999-12-31T23:59:59.000-01:00",
            "0000-01-01T00:00:00.000+01:00",
        ] {
            assert_eq!(
                Timestamp::parse(text),
                Err(TimestampError::OutOfRange),
                "{text}"
            );
            let err = serde_json::from_str::<Timestamp>(&format!("\"{text}\"")).unwrap_err();
            assert!(err.to_string().contains("0000-9999"), "{err}");
        }
        for (text, written) in [
            ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
            ("9999-12-31T23:59:59.000+01:00", "9999-12-31T22:59:59.000Z"),
            ("0000-01-01T00:00:00.000-01:00", "0000-01-01T01:00:00.000Z"),
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.to_string(), written);
            assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        }
    }

    #[test]
    fn bad_text_names_the_value() {
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"").unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }
}
