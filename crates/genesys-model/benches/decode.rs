//! Decoding cost of one realistic conference event: the roster must apply >= 20,000 events/s on one core.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genesys_model::{Notification, NotificationBody, ParticipantView, RawNotification, Topic};

const FIXTURE: &str = include_str!("../tests/fixtures/event_queue_conference_4party.json");

fn decode(c: &mut Criterion) {
    // Sockets deliver compact JSON; the fixture is pretty-printed for review.
    let compact = serde_json::to_string(
        &serde_json::from_str::<serde_json::Value>(FIXTURE).expect("fixture"),
    )
    .expect("re-encodes");
    let event = compact.as_str();
    println!("event size: {} bytes, 6 participants (4 live)", event.len());
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));

    group.bench_function("envelope_only_4party", |b| {
        b.iter(|| {
            let raw = RawNotification::parse(black_box(event)).expect("valid envelope");
            black_box(raw.topic())
        })
    });

    group.bench_function("full_event_4party", |b| {
        b.iter(|| {
            let n = Notification::decode(black_box(event)).expect("valid event");
            debug_assert!(matches!(n.topic, Topic::QueueConversationCalls(_)));
            match n.body {
                NotificationBody::CallConversation(conv) => black_box(conv.live_count()),
                _ => unreachable!("fixture is a call conversation event"),
            }
        })
    });

    group.bench_function("full_event_4party_with_views", |b| {
        b.iter(|| {
            let n = Notification::decode(black_box(event)).expect("valid event");
            if let NotificationBody::CallConversation(conv) = n.body {
                let mut names = 0usize;
                for p in &conv.participants {
                    names +=
                        p.display_name().len() + usize::from(p.is_live()) + usize::from(p.ended());
                }
                black_box(names);
            }
        })
    });

    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
