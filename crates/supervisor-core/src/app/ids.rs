//! The one rule for the ids people and the UI hand in (queues, users, conversations,
//! participants): trimmed, de-duplicated, and checked by [`genesys_model::is_valid_id`] before any
//! request or topic is built from them. The desktop and the CLI both check ids here; each words
//! the refusal for its own people.

use crate::ipc::error::IpcError;

/// An id that breaks the rule (blank, too long, or with characters no platform id has).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("“{id}” is not a valid {what} id")]
pub struct InvalidId {
    /// The id as given, trimmed.
    pub id: String,
    /// What it was meant to be (`queue`, `user`, `conversation`, `participant`).
    pub what: &'static str,
}

/// One id, trimmed and checked.
pub fn valid_id(id: &str, what: &'static str) -> Result<String, InvalidId> {
    let id = id.trim();
    if genesys_model::is_valid_id(id) {
        Ok(id.to_owned())
    } else {
        Err(InvalidId {
            id: id.to_owned(),
            what,
        })
    }
}

/// Ids, each trimmed and checked, duplicates dropped (first occurrence kept, order kept).
pub fn valid_ids<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    what: &'static str,
) -> Result<Vec<String>, InvalidId> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = valid_id(id, what)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

impl From<InvalidId> for IpcError {
    fn from(e: InvalidId) -> Self {
        IpcError::invalid(format!("{e}."))
    }
}

/// The desktop's list of ids.
pub(super) fn parse_ids(ids: &[String], what: &'static str) -> Result<Vec<String>, IpcError> {
    Ok(valid_ids(ids.iter().map(String::as_str), what)?)
}

/// The desktop's one id; a blank one is "required", not "invalid".
pub(super) fn one_id(id: &str, what: &'static str) -> Result<String, IpcError> {
    if id.trim().is_empty() {
        return Err(IpcError::invalid(format!("A {what} id is required.")));
    }
    Ok(valid_id(id, what)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_deduplicated_and_checked() {
        let ids = parse_ids(&[" a ".into(), "a".into(), "b".into()], "queue").expect("ids");
        assert_eq!(ids, vec!["a".to_owned(), "b".to_owned()]);
        assert!(parse_ids(&["".into()], "queue").is_err());
        assert!(parse_ids(&["a/b".into()], "queue").is_err());
        let blank = one_id("  ", "conversation").expect_err("blank");
        assert!(blank.message.contains("required"), "{}", blank.message);
    }

    #[test]
    fn the_rule_refuses_what_no_platform_id_looks_like() {
        assert_eq!(
            valid_id(" 5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11 ", "queue").as_deref(),
            Ok("5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11")
        );
        assert_eq!(valid_id("p_1", "participant").as_deref(), Ok("p_1"));
        for bad in ["", "a b", "c/../x", "q.1", "x\u{7}", &"a".repeat(129)] {
            let e = valid_id(bad, "user").expect_err(bad);
            assert_eq!(e.what, "user");
        }
        let e = valid_id("a b", "user").expect_err("space");
        assert_eq!(e.to_string(), "“a b” is not a valid user id");
    }
}
