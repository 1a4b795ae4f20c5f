//! The transcription input of the `silent` rule, the same for the desktop panel and the CLI: a
//! [`TranscriptFeed`] over the live board when a policy has a `silent` rule (and none otherwise, so
//! no topic is subscribed for nothing), and for a single evaluation (`policy run --once`) the
//! reason it cannot judge silence. [`for_run`] gives the policy runner either, as the shared cell
//! it reads.

use std::sync::{Arc, Mutex};

use genesys_client::Client;

use crate::permissions::{self, PermissionReport};
use crate::policy::observe::TRANSCRIPTION_PERMISSION_MISSING;
use crate::policy::{Policy, RuleKind, Transcription, TranscriptionAccess};
use crate::roster::Roster;
use crate::transcription::{FeedConfig, PERMISSION, TranscriptFeed};

/// Why one evaluation of the board cannot say a call is silent.
pub const SINGLE_EVALUATION: &str = "unavailable: a single evaluation (--once) cannot judge \
     silence: transcripts arrive about 35 s after the speech and a call must be followed for the \
     rule's whole threshold; run `policy run` without --once, or use the desktop app";

/// Why there is no transcription when no rule asks for it (never shown: only `silent` rules read it).
const NOT_NEEDED: &str = "unavailable: no silent rule, so the transcription topic is not followed";

/// True when a rule of the policy needs the transcription topic.
pub fn needs_transcription(policy: &Policy) -> bool {
    policy.rules.iter().any(|r| r.when == RuleKind::Silent)
}

/// Starts the feed over `roster`'s board when the policy has a `silent` rule.
pub fn start_feed(
    client: &Client,
    roster: &Roster,
    policy: &Policy,
    config: FeedConfig,
) -> Option<TranscriptFeed> {
    needs_transcription(policy).then(|| TranscriptFeed::start(client, roster, config))
}

/// What the detector reads now: the feed's state, or "not followed" without a feed.
pub fn current(feed: Option<&TranscriptFeed>) -> Transcription {
    match feed {
        Some(feed) => feed.transcription(),
        None => Transcription::new(TranscriptionAccess::Unavailable(NOT_NEEDED.to_owned())),
    }
}

/// The transcription input of a single evaluation (`policy run --once`): silence cannot be judged
/// from one moment, and when the permission is missing that is the reason given (one
/// `users/me?expand=authorization`, only when the policy has a `silent` rule).
pub async fn single_evaluation(client: &Client, policy: &Policy) -> Transcription {
    if !needs_transcription(policy) {
        return current(None);
    }
    let reason = match permissions::check(client).await {
        Ok(PermissionReport::Checked { missing })
            if missing.iter().any(|f| f.permission == PERMISSION) =>
        {
            TRANSCRIPTION_PERMISSION_MISSING
        }
        _ => SINGLE_EVALUATION,
    };
    Transcription::new(TranscriptionAccess::Unavailable(reason.to_owned()))
}

/// The `silent` rule's input of a policy run, and the feed behind it (kept alive with it).
#[derive(Debug)]
pub struct RunTranscription {
    input: Arc<Mutex<Transcription>>,
    feed: Option<TranscriptFeed>,
}

impl RunTranscription {
    /// The cell the runner reads (`RunnerSetup::transcription`).
    pub fn input(&self) -> Arc<Mutex<Transcription>> {
        Arc::clone(&self.input)
    }

    /// The feed, when one runs.
    pub fn feed(&self) -> Option<&TranscriptFeed> {
        self.feed.as_ref()
    }

    /// Stops the feed and closes its channel.
    pub async fn shutdown(&self) {
        if let Some(feed) = &self.feed {
            feed.shutdown().await;
        }
    }
}

/// The input of a policy run over `roster`: for a continuous run, a feed when the policy has a
/// `silent` rule; for a single pass (`once`), [`single_evaluation`]'s reason.
pub async fn for_run(
    client: &Client,
    roster: &Roster,
    policy: &Policy,
    once: bool,
    config: FeedConfig,
) -> RunTranscription {
    let fixed = |t: Transcription| RunTranscription {
        input: Arc::new(Mutex::new(t)),
        feed: None,
    };
    if once {
        return fixed(single_evaluation(client, policy).await);
    }
    match start_feed(client, roster, policy, config) {
        Some(feed) => RunTranscription {
            input: feed.shared(),
            feed: Some(feed),
        },
        None => fixed(current(None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_silent_rule_needs_the_feed() {
        let held = Policy::parse("[[rule]]\nid = \"h\"\nwhen = \"held\"\nfor = \"10m\"\n")
            .expect("policy");
        assert!(!needs_transcription(&held));
        let silent = Policy::parse(
            "[[rule]]\nid = \"h\"\nwhen = \"held\"\nfor = \"10m\"\n\n[[rule]]\nid = \"s\"\n\
             when = \"silent\"\nfor = \"5m\"\n",
        )
        .expect("policy");
        assert!(needs_transcription(&silent));
        assert!(
            matches!(current(None).access, TranscriptionAccess::Unavailable(r) if r == NOT_NEEDED)
        );
    }
}
