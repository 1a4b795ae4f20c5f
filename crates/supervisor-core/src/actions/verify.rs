//! Verification: after the one request, wait for the roster to show the change (events), with one
//! re-read when the event is late, up to a timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_model::{ConversationId, ParticipantId};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::outcome::{ConfirmedVia, PartySummary};
use super::service::Actions;
use crate::roster::{ChangeKind, ConversationRecord, RemovalReason, RosterChange, RosterError};

/// What the verifier waits for.
#[derive(Clone, Debug)]
pub(super) enum Expect {
    Dropped {
        target: ParticipantId,
        remaining: Vec<PartySummary>,
        call_will_end: bool,
    },
    Flag {
        target: ParticipantId,
        flag: Flag,
        value: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Flag {
    Muted,
    Held,
}

pub(super) enum Check {
    Done {
        call_ended: bool,
        others_left: Vec<PartySummary>,
    },
    Pending,
    /// The change can no longer happen (the party left during a mute, say).
    Lost(String),
}

impl Expect {
    pub(super) fn target(&self) -> &ParticipantId {
        match self {
            Self::Dropped { target, .. } | Self::Flag { target, .. } => target,
        }
    }

    /// Judges a record (`None` with `ended` = the conversation left the board because it ended).
    pub(super) fn check(&self, record: Option<&ConversationRecord>, ended: bool) -> Check {
        let call_over = ended || record.is_some_and(|r| r.ended);
        match self {
            Self::Dropped {
                target,
                remaining,
                call_will_end,
            } => {
                let target_live =
                    !call_over && record.is_some_and(|r| r.live_party(target).is_some());
                if target_live {
                    return Check::Pending;
                }
                if record.is_none() && !ended {
                    return Check::Pending;
                }
                let others_left = if *call_will_end {
                    Vec::new()
                } else {
                    remaining
                        .iter()
                        .filter(|p| {
                            call_over
                                || record.is_none_or(|r| r.live_party(&p.participant_id).is_none())
                        })
                        .cloned()
                        .collect()
                };
                Check::Done {
                    call_ended: call_over,
                    others_left,
                }
            }
            Self::Flag {
                target,
                flag,
                value,
            } => {
                if call_over {
                    return Check::Lost("the call ended before the change was seen".into());
                }
                let Some(record) = record else {
                    return Check::Pending;
                };
                match record.live_party(target) {
                    Some(p) => {
                        let now = match flag {
                            Flag::Muted => p.muted,
                            Flag::Held => p.held,
                        };
                        if now == Some(*value) {
                            Check::Done {
                                call_ended: false,
                                others_left: Vec::new(),
                            }
                        } else {
                            Check::Pending
                        }
                    }
                    None if record.leg(target).is_some() => {
                        Check::Lost("the party left the call before the change was seen".into())
                    }
                    None => Check::Pending,
                }
            }
        }
    }
}

pub(super) enum Verified {
    Confirmed {
        via: ConfirmedVia,
        at: Instant,
        call_ended: bool,
        others_left: Vec<PartySummary>,
    },
    Lost(String),
    TimedOut,
}

pub(super) struct Verification {
    pub(super) result: Verified,
    pub(super) last: Option<Arc<ConversationRecord>>,
    pub(super) note: Option<String>,
}

impl Actions {
    /// Waits for the expected change: roster events, one re-read after `reread_after`, up to `timeout`.
    pub(super) async fn verify(
        &self,
        conversation: &ConversationId,
        expect: &Expect,
        mut changes: broadcast::Receiver<RosterChange>,
        sent: Instant,
        timeout: Duration,
        before: Option<Arc<ConversationRecord>>,
    ) -> Verification {
        let roster = &self.inner.roster;
        let deadline = tokio::time::Instant::from_std(sent + timeout);
        let reread_at = tokio::time::Instant::from_std(sent + self.inner.config.reread_after);
        let mut reread_done = false;
        let mut stream_open = true;
        let mut last = before;
        let mut note = None;
        let judged = |record: Option<&ConversationRecord>, ended: bool, via, at| match expect
            .check(record, ended)
        {
            Check::Done {
                call_ended,
                others_left,
            } => Some(Verified::Confirmed {
                via,
                at,
                call_ended,
                others_left,
            }),
            Check::Lost(why) => Some(Verified::Lost(why)),
            Check::Pending => None,
        };
        loop {
            tokio::select! {
                biased;
                change = changes.recv(), if stream_open => match change {
                    Ok(RosterChange { kind: ChangeKind::Upserted { conversation: record }, at, .. })
                        if &record.id == conversation =>
                    {
                        let verdict = judged(Some(&record), false, ConfirmedVia::Event, at);
                        last = Some(record);
                        if let Some(result) = verdict {
                            return Verification { result, last, note };
                        }
                    }
                    Ok(RosterChange { kind: ChangeKind::Removed { id, reason: RemovalReason::Ended }, at, .. })
                        if &id == conversation =>
                    {
                        if let Some(result) = judged(None, true, ConfirmedVia::Event, at) {
                            return Verification { result, last, note };
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        // Changes were missed: judge the board as it is now.
                        if let Some(record) = roster.conversation(conversation) {
                            let verdict = judged(Some(&record), false, ConfirmedVia::Event, Instant::now());
                            last = Some(record);
                            if let Some(result) = verdict {
                                return Verification { result, last, note };
                            }
                        }
                    }
                    Err(RecvError::Closed) => stream_open = false,
                },
                () = tokio::time::sleep_until(reread_at), if !reread_done => {
                    reread_done = true;
                    match roster.reread(conversation).await {
                        Ok(record) => {
                            let verdict = judged(Some(&record), false, ConfirmedVia::Reread, Instant::now());
                            last = Some(record);
                            if let Some(result) = verdict {
                                return Verification { result, last, note };
                            }
                        }
                        Err(RosterError::ConversationNotFound(_)) => {
                            note = Some("the call could not be read any more (not found)".to_owned());
                            last = None;
                        }
                        Err(e) => {
                            if e.is_session_expired() {
                                self.expire();
                            }
                            note = Some(format!("the confirming re-read failed: {e}"));
                        }
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Verification { result: Verified::TimedOut, last, note };
                }
            }
        }
    }
}
