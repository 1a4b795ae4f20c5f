//! Identifier newtypes, so a participant id can never be passed where a conversation id is expected.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The one id rule: what a platform id (queue, user, conversation, participant) may look like
/// before anything is built from it. Letters, digits, `-` and `_`, 1 to 128 of them: Genesys ids
/// are UUIDs, and an id must be safe as a path segment and as a notification topic segment.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id received from elsewhere (a UI selection, a test, a config file).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The raw id, for building paths and topics.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Gives the owned string back without copying.
            pub fn into_string(self) -> String {
                self.0
            }

            /// An empty id can never address anything; callers use this to refuse before sending.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Hash/Eq/Ord are derived from the inner String, which agree with str: lookups by &str are sound.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// A conversation (call) id: the key of the roster and of every call-control path.
    ConversationId
);
id_type!(
    /// A participant (leg) id: what a drop targets, never the user id.
    ParticipantId
);
id_type!(
    /// A communication id (`calls[].id`): targets one call of a participant that has several.
    CommunicationId
);
id_type!(
    /// A user id: who is on a leg, who is signed in, and part of user topics.
    UserId
);
id_type!(
    /// A routing queue id: what the supervisor watches and part of queue topics.
    QueueId
);
id_type!(
    /// A notification channel id (`streaming-…`): the WebSocket and its subscriptions hang off it.
    ChannelId
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ids_are_transparent_on_the_wire() {
        let id: ConversationId = serde_json::from_str("\"c-1\"").unwrap();
        assert_eq!(id, "c-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"c-1\"");
    }

    #[test]
    fn map_lookup_by_str_works() {
        let mut map = HashMap::new();
        map.insert(ParticipantId::new("p-1"), 1);
        assert_eq!(map.get("p-1"), Some(&1));
    }

    #[test]
    fn debug_names_the_kind_of_id() {
        assert_eq!(format!("{:?}", QueueId::new("q")), "QueueId(\"q\")");
    }
}
