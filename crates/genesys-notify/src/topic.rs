//! Queue topics and how they are spread over channels (1,000 topics per channel at most).

use std::collections::{BTreeSet, HashSet};

use genesys_model::ids::QueueId;

const QUEUE_PREFIX: &str = "v2.routing.queues.";
const CALLS_SUFFIX: &str = ".conversations.calls";

/// The topic carrying full call-conversation snapshots for one queue; the only topic the roster needs.
pub fn queue_calls_topic(queue: &QueueId) -> String {
    let id = queue.as_str();
    let mut topic = String::with_capacity(QUEUE_PREFIX.len() + id.len() + CALLS_SUFFIX.len());
    topic.push_str(QUEUE_PREFIX);
    topic.push_str(id);
    topic.push_str(CALLS_SUFFIX);
    topic
}

/// The queue id inside a queue calls topic, so an event can be routed without a lookup table.
pub fn queue_of_calls_topic(topic: &str) -> Option<&str> {
    let id = topic
        .strip_prefix(QUEUE_PREFIX)?
        .strip_suffix(CALLS_SUFFIX)?;
    is_valid_queue_id(id).then_some(id)
}

/// A queue id must be one topic segment: anything else would subscribe to a different topic or none.
pub fn is_valid_queue_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Spreads `desired` over channels of at most `per_channel` queues, keeping every queue that stays on the
/// channel it is already on (so a change costs one PUT per touched channel and never moves a live queue).
///
/// The result has one entry per existing channel (possibly emptied), then one per new channel needed.
pub(crate) fn plan(
    current: &[Vec<QueueId>],
    desired: &BTreeSet<QueueId>,
    per_channel: usize,
) -> Vec<Vec<QueueId>> {
    let per_channel = per_channel.max(1);
    let mut placed: HashSet<&QueueId> = HashSet::new();
    let mut out: Vec<Vec<QueueId>> = current
        .iter()
        .map(|queues| {
            queues
                .iter()
                .filter(|q| desired.contains(*q) && placed.insert(*q))
                .take(per_channel)
                .cloned()
                .collect()
        })
        .collect();
    let mut fresh = desired.iter().filter(|q| !placed.contains(q));
    for batch in out.iter_mut() {
        while batch.len() < per_channel {
            match fresh.next() {
                Some(q) => batch.push(q.clone()),
                None => break,
            }
        }
    }
    let rest: Vec<QueueId> = fresh.cloned().collect();
    out.extend(rest.chunks(per_channel).map(<[QueueId]>::to_vec));
    if out.is_empty() {
        // One channel even with nothing to watch: the status stays meaningful and adding a queue is one PUT.
        out.push(Vec::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str) -> QueueId {
        QueueId::new(id)
    }

    fn set(ids: &[&str]) -> BTreeSet<QueueId> {
        ids.iter().map(|id| q(id)).collect()
    }

    #[test]
    fn topic_round_trips() {
        let topic = queue_calls_topic(&q("0d6c-11"));
        assert_eq!(topic, "v2.routing.queues.0d6c-11.conversations.calls");
        assert_eq!(queue_of_calls_topic(&topic), Some("0d6c-11"));
        assert_eq!(
            queue_of_calls_topic("v2.routing.queues.x.conversations"),
            None
        );
        assert_eq!(
            queue_of_calls_topic("v2.routing.queues.a.b.conversations.calls"),
            None
        );
        assert_eq!(
            queue_of_calls_topic("v2.routing.queues..conversations.calls"),
            None
        );
    }

    #[test]
    fn queue_ids_are_single_segments() {
        assert!(is_valid_queue_id("5f1e6c4a-8a9e-4b0b-bf7c-3f1d2a9e0b11"));
        assert!(!is_valid_queue_id(""));
        assert!(!is_valid_queue_id("a.b"));
        assert!(!is_valid_queue_id("a b"));
        assert!(!is_valid_queue_id("*"));
    }

    #[test]
    fn first_plan_chunks_by_capacity() {
        let plan = plan(&[], &set(&["a", "b", "c", "d", "e"]), 2);
        assert_eq!(
            plan,
            vec![vec![q("a"), q("b")], vec![q("c"), q("d")], vec![q("e")]]
        );
    }

    #[test]
    fn empty_desire_still_plans_one_channel() {
        assert_eq!(
            plan(&[], &BTreeSet::new(), 1000),
            vec![Vec::<QueueId>::new()]
        );
    }

    #[test]
    fn change_keeps_queues_where_they_are_and_fills_gaps() {
        let current = vec![vec![q("a"), q("b")], vec![q("c"), q("d")]];
        // b removed, e and f added: e fills channel 0's gap, f overflows to a new channel.
        let plan = plan(&current, &set(&["a", "c", "d", "e", "f"]), 2);
        assert_eq!(
            plan,
            vec![vec![q("a"), q("e")], vec![q("c"), q("d")], vec![q("f")]]
        );
    }

    #[test]
    fn removing_everything_from_a_channel_leaves_it_empty() {
        let current = vec![vec![q("a")], vec![q("b")]];
        let plan = plan(&current, &set(&["b"]), 1);
        assert_eq!(plan, vec![vec![], vec![q("b")]]);
    }

    #[test]
    fn a_queue_listed_twice_is_placed_once() {
        let current = vec![vec![q("a")], vec![q("a"), q("b")]];
        let plan = plan(&current, &set(&["a", "b"]), 5);
        assert_eq!(plan, vec![vec![q("a")], vec![q("b")]]);
    }
}
