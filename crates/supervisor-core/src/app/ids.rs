//! The one rule for the ids people and the UI hand in (queues, users, conversations,
//! participants): trimmed, de-duplicated, and checked before any request is built from them.

use crate::ipc::error::IpcError;

pub(super) fn parse_ids(ids: &[String], what: &str) -> Result<Vec<String>, IpcError> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.trim();
        if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control() || c == '/') {
            return Err(IpcError::invalid(format!(
                "“{id}” is not a valid {what} id."
            )));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

pub(super) fn one_id(id: &str, what: &str) -> Result<String, IpcError> {
    parse_ids(&[id.to_owned()], what)?
        .pop()
        .ok_or_else(|| IpcError::invalid(format!("A {what} id is required.")))
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
        assert!(one_id("  ", "conversation").is_err());
    }
}
