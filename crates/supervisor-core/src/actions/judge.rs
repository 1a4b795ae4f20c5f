//! Judgement: was the change done, not done, or unknown, and the outcome the supervisor sees.

use std::time::Instant;

use super::explain;
use super::outcome::{ActionKind, ActionOutcome, LegView};
use super::service::{Actions, Ctx};
use super::verify::{Expect, Flag, Verification, Verified};

impl Actions {
    /// Turns a verification into the outcome the supervisor sees.
    pub(super) fn judge(
        &self,
        ctx: &Ctx,
        expect: &Expect,
        v: Verification,
        sent: Instant,
    ) -> (ActionOutcome, Option<Instant>) {
        let party = ctx.party_label();
        let target = expect.target();
        let still = v
            .last
            .as_ref()
            .and_then(|r| r.leg(target))
            .map(|(_, p)| LegView::from(p));
        match v.result {
            Verified::Confirmed {
                via,
                at,
                call_ended,
                others_left,
            } => (
                ActionOutcome::Confirmed {
                    latency: at.saturating_duration_since(ctx.started),
                    via,
                    call_ended,
                    others_left,
                },
                Some(at),
            ),
            Verified::Lost(why) => (
                ActionOutcome::NotConfirmed {
                    waited: sent.elapsed(),
                    still_shows: still,
                    explanation: format!(
                        "Genesys Cloud accepted the request to {} {party}, but {why}.",
                        ctx.kind.verb()
                    ),
                    communication_id: None,
                },
                None,
            ),
            Verified::TimedOut => {
                let waited = sent.elapsed();
                let shows = match (&still, expect) {
                    (Some(view), Expect::Dropped { .. }) => format!(
                        "it still shows {party} as {}",
                        view.state.as_deref().unwrap_or("on the call")
                    ),
                    (
                        Some(view),
                        Expect::Flag {
                            flag: Flag::Muted, ..
                        },
                    ) => format!(
                        "it still shows {party} as {}",
                        if view.muted { "muted" } else { "not muted" }
                    ),
                    (
                        Some(view),
                        Expect::Flag {
                            flag: Flag::Held, ..
                        },
                    ) => format!(
                        "it still shows {party} as {}",
                        if view.held { "on hold" } else { "not on hold" }
                    ),
                    (None, _) => "the change could not be seen".to_owned(),
                };
                let advice = match expect {
                    Expect::Dropped { .. } => {
                        " The party may still be on the call: try again, or disconnect their call \
                         directly (per-communication disconnect)."
                    }
                    Expect::Flag { .. } => " Try again in a moment.",
                };
                let mut explanation = format!(
                    "Genesys Cloud accepted the request to {} {party}, but after {:.1} s {shows}.{advice}",
                    ctx.kind.verb(),
                    waited.as_secs_f64()
                );
                if let Some(note) = &v.note {
                    explanation.push_str(&format!(" (Note: {note}.)"));
                }
                (
                    ActionOutcome::NotConfirmed {
                        waited,
                        still_shows: still,
                        explanation,
                        communication_id: match expect {
                            Expect::Dropped { .. } => ctx.communication_id.clone(),
                            Expect::Flag { .. } => None,
                        },
                    },
                    None,
                )
            }
        }
    }
}

pub(super) fn already_gone(ctx: &Ctx, request_sent: bool) -> ActionOutcome {
    let party = ctx.party_label();
    ActionOutcome::AlreadyGone {
        request_sent,
        explanation: if request_sent {
            format!("Genesys Cloud says {party} had already left the call; nothing was changed.")
        } else {
            format!("{party} had already left the call; nothing was sent.")
        },
    }
}

pub(super) fn refused(kind: ActionKind, party: &str, e: &genesys_client::Error) -> ActionOutcome {
    ActionOutcome::Refused {
        status: e.status(),
        code: e.code().map(str::to_owned),
        message: e.vendor_message().unwrap_or_else(|| e.to_string()),
        correlation_id: e.correlation_id().map(str::to_owned),
        explanation: explain::refusal(kind, party, e.status(), e.code()),
    }
}
