//! Judgement: was the change done, not done, or unknown, and the outcome the supervisor sees
//! (its words come from [`crate::present`]).

use std::time::Instant;

use super::outcome::{ActionKind, ActionOutcome, LegView};
use super::service::{Actions, Ctx};
use super::verify::{Expect, Flag, Verification, Verified};
use crate::present;
use crate::present::outcome::StillShows;

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
                    explanation: present::outcome::lost(ctx.kind.verb(), &party, &why),
                    communication_id: None,
                },
                None,
            ),
            Verified::TimedOut => {
                let waited = sent.elapsed();
                let shows = match (&still, expect) {
                    (Some(view), Expect::Dropped { .. }) => {
                        StillShows::State(view.state.as_deref())
                    }
                    (
                        Some(view),
                        Expect::Flag {
                            flag: Flag::Muted, ..
                        },
                    ) => StillShows::Muted(view.muted),
                    (
                        Some(view),
                        Expect::Flag {
                            flag: Flag::Held, ..
                        },
                    ) => StillShows::Held(view.held),
                    (None, _) => StillShows::Unseen,
                };
                let explanation = present::outcome::timed_out(
                    ctx.kind.verb(),
                    &party,
                    waited,
                    shows,
                    matches!(expect, Expect::Dropped { .. }),
                    v.note.as_deref(),
                );
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
        explanation: present::outcome::already_gone(&party, request_sent),
    }
}

pub(super) fn refused(kind: ActionKind, party: &str, e: &genesys_client::Error) -> ActionOutcome {
    ActionOutcome::Refused {
        status: e.status(),
        code: e.code().map(str::to_owned),
        message: e.vendor_message().unwrap_or_else(|| e.to_string()),
        correlation_id: e.correlation_id().map(str::to_owned),
        explanation: present::refusal::refusal(kind, party, e.status(), e.code()),
    }
}
