//! What an action ended as, in the words the supervisor reads in the dialog and the CLI prints:
//! the explanations carried by `ActionOutcome::NotConfirmed` and `ActionOutcome::AlreadyGone`
//! (refusals are in [`super::refusal`]).

use std::time::Duration;

/// What the platform still showed of the leg when the wait ended.
#[derive(Clone, Copy, Debug)]
pub enum StillShows<'a> {
    /// A drop: the leg's state (`None`: no state given).
    State(Option<&'a str>),
    /// A mute: whether the leg is muted.
    Muted(bool),
    /// A hold: whether the leg is held.
    Held(bool),
    /// The leg (or the conversation) could not be read.
    Unseen,
}

/// The request was accepted but the change was lost (the conversation went away, say).
pub fn lost(verb: &str, party: &str, why: &str) -> String {
    format!("Genesys Cloud accepted the request to {verb} {party}, but {why}.")
}

/// The request was accepted but the change was not seen within `waited`; `drop` says whether it
/// was a drop (whose advice differs), `note` is what else went wrong while waiting.
pub fn timed_out(
    verb: &str,
    party: &str,
    waited: Duration,
    shows: StillShows<'_>,
    drop: bool,
    note: Option<&str>,
) -> String {
    let shows = match shows {
        StillShows::State(state) => {
            format!(
                "it still shows {party} as {}",
                state.unwrap_or("on the call")
            )
        }
        StillShows::Muted(muted) => format!(
            "it still shows {party} as {}",
            if muted { "muted" } else { "not muted" }
        ),
        StillShows::Held(held) => format!(
            "it still shows {party} as {}",
            if held { "on hold" } else { "not on hold" }
        ),
        StillShows::Unseen => "the change could not be seen".to_owned(),
    };
    let advice = if drop {
        " The party may still be on the call: try again, or disconnect their call directly \
         (per-communication disconnect)."
    } else {
        " Try again in a moment."
    };
    let mut text = format!(
        "Genesys Cloud accepted the request to {verb} {party}, but after {:.1} s {shows}.{advice}",
        waited.as_secs_f64()
    );
    if let Some(note) = note {
        text.push_str(&format!(" (Note: {note}.)"));
    }
    text
}

/// The party had left before anything was done (`request_sent`: the platform said so).
pub fn already_gone(party: &str, request_sent: bool) -> String {
    if request_sent {
        format!("Genesys Cloud says {party} had already left the call; nothing was changed.")
    } else {
        format!("{party} had already left the call; nothing was sent.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_not_seen_says_what_is_still_shown_and_what_to_try() {
        let text = timed_out(
            "drop",
            "Jane Doe (external)",
            Duration::from_millis(5_040),
            StillShows::State(Some("connected")),
            true,
            Some("the confirming re-read failed"),
        );
        assert_eq!(
            text,
            "Genesys Cloud accepted the request to drop Jane Doe (external), but after 5.0 s it \
             still shows Jane Doe (external) as connected. The party may still be on the call: \
             try again, or disconnect their call directly (per-communication disconnect). (Note: \
             the confirming re-read failed.)"
        );
        assert!(
            timed_out(
                "mute",
                "Jane",
                Duration::ZERO,
                StillShows::Muted(false),
                false,
                None
            )
            .ends_with("as not muted. Try again in a moment.")
        );
    }

    #[test]
    fn already_gone_says_whether_anything_was_sent() {
        assert!(already_gone("Jane", false).ends_with("nothing was sent."));
        assert!(already_gone("Jane", true).starts_with("Genesys Cloud says Jane"));
    }
}
