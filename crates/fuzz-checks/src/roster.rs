//! The `roster_apply` fuzz target's body: JSON-lines socket frames merged into a `RosterModel`.
//!
//! Each line is one frame, optionally prefixed `@<ms> ` to set when it was observed (offsets in
//! milliseconds from the start; without a prefix a frame is observed one millisecond after the
//! previous one), so the fuzzer can deliver snapshots out of order. After every frame the model must
//! still obey the ordering rule documented on `RosterModel`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_model::{
    ConversationId, Notification, NotificationBody, ParticipantId, QueueId, Topic,
};
use genesys_notify::ConversationEvent;
use supervisor_core::roster::{Effect, LegStatus, RosterModel};

/// The queue of the seed fixtures (`event_queue_conference_4party.json`), plus a short one to find.
const WATCHED: [&str; 2] = ["8a3e5f7c-1d2b-4c6e-9f0a-2b4d6f8a0c1e", "q1"];
const MAX_FRAMES: usize = 64;

/// What the model has shown so far, to check that it only moves forward.
#[derive(Default)]
struct Seen {
    /// Legs ever shown per conversation, and whether each was shown ended.
    legs: BTreeMap<ConversationId, BTreeMap<ParticipantId, bool>>,
    /// Conversations that ended (removed or refused as already ended).
    ended: BTreeSet<ConversationId>,
}

/// Applies every frame of `data` and checks the model after each one.
pub fn exercise(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let watched: Vec<QueueId> = WATCHED.iter().map(|q| QueueId::new(*q)).collect();
    let mut model = RosterModel::new(watched.iter().cloned(), 1024);
    let mut changes = model.subscribe();
    let start = Instant::now();
    let mut clock = Duration::ZERO;
    let mut seen = Seen::default();
    let mut last_seq = 0;

    for line in text.lines().take(MAX_FRAMES) {
        let (at, frame) = match line.strip_prefix('@').and_then(|l| l.split_once(' ')) {
            Some((ms, frame)) => match ms.parse::<u16>() {
                Ok(ms) => (Duration::from_millis(ms.into()), frame),
                Err(_) => (clock + Duration::from_millis(1), line),
            },
            None => (clock + Duration::from_millis(1), line),
        };
        clock = clock.max(at);
        let Ok(notification) = Notification::decode(frame) else {
            continue;
        };
        let (Topic::QueueConversationCalls(queue_id), NotificationBody::CallConversation(conv)) =
            (notification.topic, notification.body)
        else {
            continue;
        };
        let id = conv.id.clone();
        let effect = model.apply_event_at(
            ConversationEvent {
                topic: Arc::from("fuzz"),
                source: genesys_notify::WatchTarget::Queue(queue_id),
                conversation: conv,
                correlation_id: notification.correlation_id,
            },
            start + at,
        );
        check(&model, &id, effect, &mut seen, &mut last_seq, &watched);
        while let Ok(change) = changes.try_recv() {
            assert!(change.seq <= model.seq(), "changes are numbered in order");
        }
    }
}

fn check(
    model: &RosterModel,
    id: &ConversationId,
    effect: Effect,
    seen: &mut Seen,
    last_seq: &mut u64,
    watched: &[QueueId],
) {
    match effect {
        Effect::Upserted(seq) | Effect::Removed(seq) => {
            assert_eq!(seq, *last_seq + 1, "one change per effect");
            *last_seq = seq;
        }
        _ => {}
    }
    assert_eq!(model.seq(), *last_seq, "no change without an effect");
    if seen.ended.contains(id) {
        assert_eq!(
            effect,
            Effect::AlreadyEnded,
            "ended conversations stay ended"
        );
    }
    match effect {
        Effect::Removed(_) | Effect::AlreadyEnded => {
            seen.ended.insert(id.clone());
            assert!(model.conversation(id).is_none());
        }
        Effect::Upserted(_) => assert!(model.conversation(id).is_some()),
        Effect::Unchanged | Effect::Unwatched | Effect::Empty => {}
    }

    let snapshot = model.snapshot();
    assert_eq!(snapshot.seq, model.seq());
    assert_eq!(snapshot.conversations.len(), model.len());
    for record in &snapshot.conversations {
        assert!(
            !seen.ended.contains(&record.id),
            "an ended conversation is back"
        );
        assert!(!record.ended, "the board holds no ended conversation");
        assert!(
            record.all_legs().next().is_some(),
            "the board holds no empty conversation"
        );
        assert!(
            record.on_any_queue(watched),
            "the board holds only watched queues"
        );
        assert!(
            record.queues.windows(2).all(|w| w[0] < w[1]),
            "queues sorted, unique"
        );
        for party in &record.parties {
            assert_eq!(record.live_party(&party.participant_id), Some(party));
        }
        let legs = seen.legs.entry(record.id.clone()).or_default();
        for (leg, was_ended) in legs.iter() {
            let status = record.leg(leg).map(|(status, _)| status);
            assert!(status.is_some(), "leg {leg} was removed from {}", record.id);
            if *was_ended {
                assert!(
                    matches!(status, Some(LegStatus::Ended | LegStatus::StaleDuplicate)),
                    "leg {leg} of {} left the ended legs: {status:?}",
                    record.id
                );
            }
        }
        for party in record.all_legs() {
            let ended = matches!(
                record.leg(&party.participant_id),
                Some((LegStatus::Ended | LegStatus::StaleDuplicate, _))
            );
            let entry = legs.entry(party.participant_id.clone()).or_insert(false);
            *entry |= ended;
        }
    }
}
