//! Plain words for platform refusals, so the supervisor knows what happened and what to do.

use genesys_model::error::codes;

use crate::actions::ActionKind;

/// Explains a refusal of `action` on `party` from its HTTP status and vendor code.
pub fn refusal(action: ActionKind, party: &str, status: Option<u16>, code: Option<&str>) -> String {
    let verb = action.verb();
    let by_code = code.and_then(|code| {
        Some(match code {
            codes::MISSING_ANY_PERMISSIONS | codes::MISSING_PERMISSIONS | codes::NOT_AUTHORIZED => format!(
                "Genesys Cloud refused to {verb} {party}: your role lacks the permission to act on \
                 other people's calls (conversation:communication:disconnect). Ask your administrator."
            ),
            codes::NOT_CONVERSATION_PARTICIPANT => format!(
                "Genesys Cloud refused to {verb} {party}: you are not on this call and may not act \
                 on other people's calls."
            ),
            codes::FORBIDDEN_NOT_ACTIVE_PARTICIPANT => format!(
                "Genesys Cloud refused to {verb} {party}: you are not an active party on this call."
            ),
            codes::NOT_A_USER => format!(
                "Genesys Cloud refused to {verb} {party}: this sign-in is an application, not a \
                 person; call control needs a supervisor's own sign-in."
            ),
            codes::HOLD_ALERTING => format!(
                "{party}'s phone is still ringing, and a ringing call cannot be put on hold."
            ),
            codes::CANNOT_CONFINE_PARTY => {
                format!("{party} cannot be confined because the call is not a conference.")
            }
            codes::CANNOT_DISCONNECT_CALL => {
                format!("Genesys Cloud cannot disconnect {party} on this call.")
            }
            codes::CONVERSATION_NOT_FOUND => {
                "Genesys Cloud no longer knows this call; it has probably ended.".to_owned()
            }
            codes::NOT_FOUND => format!(
                "Genesys Cloud does not know {party} on this call; the call may have changed."
            ),
            codes::BAD_REQUEST | codes::INVALID_VALUE => format!(
                "Genesys Cloud rejected the request to {verb} {party} as invalid; nothing changed."
            ),
            _ => return None,
        })
    });
    by_code.unwrap_or_else(|| match status {
        Some(s) if s >= 500 => format!(
            "Genesys Cloud had a temporary problem (HTTP {s}) and {party} is unchanged; it is \
             safe to try again."
        ),
        Some(403) => format!("Genesys Cloud refused to {verb} {party}: permission denied."),
        Some(404) => format!("Genesys Cloud could not find {party} on this call."),
        Some(s) => format!("Genesys Cloud refused to {verb} {party} (HTTP {s}); nothing changed."),
        None => format!("Genesys Cloud refused to {verb} {party}; nothing changed."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_refusals_name_the_permission() {
        let text = refusal(
            ActionKind::Drop,
            "Jane",
            Some(403),
            Some(codes::MISSING_ANY_PERMISSIONS),
        );
        assert!(
            text.contains("conversation:communication:disconnect"),
            "{text}"
        );
    }

    #[test]
    fn unknown_codes_fall_back_to_the_status() {
        assert!(
            refusal(ActionKind::Mute, "Jane", Some(503), Some("new.code")).contains("temporary")
        );
        assert!(refusal(ActionKind::Hold, "Jane", Some(409), None).contains("409"));
    }
}
