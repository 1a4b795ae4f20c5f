//! How watch targets are spread over channels (1,000 topics per channel at most).

use std::collections::{BTreeSet, HashSet};

use crate::target::WatchTarget;

/// Spreads `desired` over channels of at most `per_channel` topics, keeping every target that stays on the
/// channel it is already on (so a change costs one PUT per touched channel and never moves a live target).
/// Queues and users share channels: each is one topic.
///
/// The result has one entry per existing channel (possibly emptied), then one per new channel needed.
pub(crate) fn plan(
    current: &[Vec<WatchTarget>],
    desired: &BTreeSet<WatchTarget>,
    per_channel: usize,
) -> Vec<Vec<WatchTarget>> {
    let per_channel = per_channel.max(1);
    let mut placed: HashSet<&WatchTarget> = HashSet::new();
    let mut out: Vec<Vec<WatchTarget>> = current
        .iter()
        .map(|targets| {
            targets
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
    let rest: Vec<WatchTarget> = fresh.cloned().collect();
    out.extend(rest.chunks(per_channel).map(<[WatchTarget]>::to_vec));
    if out.is_empty() {
        // One channel even with nothing to watch: the status stays meaningful and adding a target is one PUT.
        out.push(Vec::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_model::ids::{QueueId, UserId};

    fn q(id: &str) -> WatchTarget {
        WatchTarget::Queue(QueueId::new(id))
    }

    fn u(id: &str) -> WatchTarget {
        WatchTarget::User(UserId::new(id))
    }

    fn set(ids: &[&str]) -> BTreeSet<WatchTarget> {
        ids.iter().map(|id| q(id)).collect()
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
            vec![Vec::<WatchTarget>::new()]
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

    #[test]
    fn queues_and_users_share_channels() {
        let desired: BTreeSet<WatchTarget> = [q("a"), u("a"), u("b")].into_iter().collect();
        assert_eq!(
            plan(&[], &desired, 1000),
            vec![vec![q("a"), u("a"), u("b")]]
        );
    }

    #[test]
    fn fifteen_hundred_targets_take_two_channels_and_stay_put() {
        let desired: BTreeSet<WatchTarget> = (0..750)
            .map(|i| q(&format!("q{i:04}")))
            .chain((0..750).map(|i| u(&format!("u{i:04}"))))
            .collect();
        let first = plan(&[], &desired, 1000);
        assert_eq!(first.iter().map(Vec::len).collect::<Vec<_>>(), [1000, 500]);
        // Dropping 10 queues of channel 0 and adding 20 users: the rest stay where they are.
        let mut next = desired.clone();
        for i in 0..10 {
            next.remove(&q(&format!("q{i:04}")));
        }
        let added: Vec<WatchTarget> = (0..20).map(|i| u(&format!("new{i:02}"))).collect();
        next.extend(added.iter().cloned());
        let second = plan(&first, &next, 1000);
        assert_eq!(second.len(), 2);
        assert_eq!(&second[1][..500], &first[1][..]);
        assert_eq!(&second[0][..990], &first[0][10..]);
        assert_eq!(second[0].len() + second[1].len(), 1510);
        assert!(second.iter().all(|c| c.len() <= 1000));
    }
}
