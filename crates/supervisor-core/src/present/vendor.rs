//! The platform's error codes in plain words, for a refusal that is not an action outcome.

use genesys_model::error::codes;

/// A Genesys vendor error code explained for a supervisor; `None` when we have nothing better than the
/// platform's own message.
pub fn explain_vendor_code(code: &str) -> Option<&'static str> {
    Some(match code {
        codes::MISSING_ANY_PERMISSIONS | codes::MISSING_PERMISSIONS | codes::NOT_AUTHORIZED => {
            "Your Genesys Cloud role does not allow this. Disconnecting, muting or holding someone else's \
             call needs the permission conversation:communication:disconnect; ask your administrator."
        }
        codes::CALL_DISCONNECTED => "That party had already left the call.",
        codes::CONVERSATION_NOT_FOUND => "That call no longer exists.",
        codes::NOT_CONVERSATION_PARTICIPANT => {
            "Genesys Cloud does not let you act on this call because you are not a party on it and \
             lack the permission to act on other people's calls."
        }
        codes::FORBIDDEN_NOT_ACTIVE_PARTICIPANT => {
            "Genesys Cloud refused: you are not an active party on this call."
        }
        codes::HOLD_ALERTING => "A party whose phone is still ringing cannot be put on hold.",
        codes::CANNOT_CONFINE_PARTY => {
            "This party cannot be confined because the call is not a conference."
        }
        codes::CANNOT_DISCONNECT_CALL => "Genesys Cloud cannot disconnect this call.",
        codes::NOT_A_USER => {
            "This sign-in is not a user (it is a client-credentials token); call control needs a \
             supervisor's own sign-in."
        }
        codes::TOO_MANY_REQUESTS => {
            "Genesys Cloud is rate-limiting requests; wait a moment and try again."
        }
        codes::BAD_CREDENTIALS | codes::AUTHENTICATION_REQUIRED => {
            "Your session has ended; sign in again."
        }
        codes::NOT_FOUND => "That party or call could not be found; it may have ended.",
        codes::INTERNAL_SERVER_ERROR | codes::SERVICE_UNAVAILABLE | codes::REQUEST_TIMEOUT => {
            "Genesys Cloud had a temporary problem; try again in a moment."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_codes_have_plain_words() {
        assert!(
            explain_vendor_code(codes::MISSING_ANY_PERMISSIONS)
                .is_some_and(|t| t.contains("conversation:communication:disconnect"))
        );
        assert_eq!(explain_vendor_code("something.new"), None);
    }
}
