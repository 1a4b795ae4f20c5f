"""Every JSON body the emulator emits, checked against the SDK 269 models: known fields only, right JSON
types, parseable timestamps, and enum values the SDK knows (no `outdated_sdk_version`)."""

from __future__ import annotations

import json
import time

import pytest

from harness import ApiException, find_conference, gc, live_parties, mk, queue_of
from sdkcheck import all_problems


def check(data, klass: str, what: str) -> None:
    problems = all_problems(data, klass)
    assert not problems, f"{what} vs SDK model {klass}:\n  " + "\n  ".join(problems[:40])


def test_users_me_shape(supervisor):
    supervisor.users.get_users_me(expand=["authorization"])
    check(supervisor.last_json(), "UserMe", "GET /api/v2/users/me?expand=authorization")


def test_queue_shapes(supervisor):
    page = supervisor.routing.get_routing_queues(page_size=100)
    check(supervisor.last_json(), "QueueEntityListing", "GET /api/v2/routing/queues")
    supervisor.routing.get_routing_queue(page.entities[0].id)
    check(supervisor.last_json(), "Queue", "GET /api/v2/routing/queues/{id}")
    supervisor.routing.get_routing_queues_me()
    check(supervisor.last_json(), "UserQueueEntityListing", "GET /api/v2/routing/queues/me")


def test_observation_shape(supervisor):
    queues = supervisor.routing.get_routing_queues(page_size=100).entities
    q = mk(
        gc.QueueObservationQuery,
        filter=mk(
            gc.QueueObservationQueryFilter,
            type="or", predicates=[mk(gc.QueueObservationQueryPredicate, dimension="queueId", value=x.id) for x in queues]),
        metrics=["oInteracting", "oWaiting", "oAlerting"], detail_metrics=["oInteracting", "oWaiting"])
    supervisor.analytics.post_analytics_queues_observations_query(q)
    check(supervisor.last_json(), "QueueObservationQueryResponse", "POST /api/v2/analytics/queues/observations/query")


def _live_ids(emu) -> list[str]:
    return [c["id"] for c in emu.truth() if live_parties(c)]


def test_every_call_conversation_shape(emu, supervisor):
    problems = []
    for cid in _live_ids(emu):
        supervisor.conversations.get_conversations_call(cid)
        problems += [f"[{cid}] {p}" for p in all_problems(supervisor.last_json(), "CallConversation")]
    assert not problems, "GET /api/v2/conversations/calls/{id} vs CallConversation:\n  " + "\n  ".join(problems[:40])


def test_every_generic_conversation_shape(emu, supervisor):
    problems = []
    for cid in _live_ids(emu):
        supervisor.conversations.get_conversation(cid)
        problems += [f"[{cid}] {p}" for p in all_problems(supervisor.last_json(), "Conversation")]
    assert not problems, "GET /api/v2/conversations/{id} vs Conversation:\n  " + "\n  ".join(problems[:40])


def test_my_calls_listing_shape(agent):
    agent.conversations.get_conversations_calls()
    check(agent.last_json(), "CallConversationEntityListing", "GET /api/v2/conversations/calls")


def test_ended_conversation_shape(emu, supervisor):
    """After a drop (ended leg fields: endTime, disconnectType) the shapes still conform."""
    conv, target = find_conference(emu)
    supervisor.conversations.patch_conversations_call_participant(
        conv["id"], target["id"], mk(gc.MediaParticipantRequest, state="disconnected"))
    time.sleep(0.4)
    supervisor.conversations.get_conversations_call(conv["id"])
    check(supervisor.last_json(), "CallConversation", "CallConversation after a drop")
    supervisor.conversations.get_conversation(conv["id"])
    check(supervisor.last_json(), "Conversation", "Conversation after a drop")


def test_notification_shapes(emu, supervisor):
    ch = supervisor.notifications.post_notifications_channels()
    check(supervisor.last_json(), "Channel", "POST /api/v2/notifications/channels")
    conv, _ = find_conference(emu)
    topic = f"v2.routing.queues.{queue_of(conv)}.conversations.calls"
    supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=topic)])
    check(supervisor.last_json(), "ChannelTopicEntityListing", "PUT .../subscriptions")
    supervisor.notifications.get_notifications_channels()
    check(supervisor.last_json(), "ChannelEntityListing", "GET /api/v2/notifications/channels")


def test_conversation_details_shape(emu, supervisor):
    from test_reads import _details_query

    supervisor.analytics.post_analytics_conversations_details_query(_details_query(None))
    check(supervisor.last_json(), "AnalyticsConversationQueryResponse", "POST /api/v2/analytics/conversations/details/query")


def test_error_body_shape(supervisor):
    with pytest.raises(ApiException) as err:
        supervisor.conversations.get_conversations_call("00000000-0000-0000-0000-000000000000")
    check(json.loads(err.value.body), "ErrorBody", "404 error body")


def test_event_body_shapes(emu, supervisor):
    """The drop event on the queue and user topics, against the SDK event models for those topics."""
    import websocket

    conv, target = find_conference(emu)
    user_id = (target.get("user") or {}).get("id")
    topics = {f"v2.routing.queues.{queue_of(conv)}.conversations.calls": "QueueConversationCallEventTopicCallConversation"}
    topics[f"v2.routing.queues.{queue_of(conv)}.conversations"] = "QueueConversationEventTopicConversation"
    if user_id:
        topics[f"v2.users.{user_id}.conversations.calls"] = "ConversationCallEventTopicCallConversation"
        topics[f"v2.users.{user_id}.conversations"] = "ConversationEventTopicConversation"
    ch = supervisor.notifications.post_notifications_channels()
    supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=t) for t in topics])
    ws = websocket.create_connection(ch.connect_uri, timeout=5)
    try:
        supervisor.conversations.patch_conversations_call_participant(
            conv["id"], target["id"], mk(gc.MediaParticipantRequest, state="disconnected"))
        got: dict[str, dict] = {}
        deadline = time.monotonic() + 5
        while len(got) < len(topics) and time.monotonic() < deadline:
            ws.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if msg.get("topicName") in topics:
                got[msg["topicName"]] = msg
    finally:
        ws.close()
    assert set(got) == set(topics), f"events received for {sorted(got)} of {sorted(topics)}"
    problems = []
    for topic, msg in got.items():
        extra = set(msg) - {"topicName", "version", "eventBody", "metadata"}
        if extra:
            problems.append(f"{topic}: envelope has unexpected keys {sorted(extra)}")
        problems += [f"{topic}: {p}" for p in all_problems(msg["eventBody"], topics[topic])]
    assert not problems, "event bodies vs SDK event models:\n  " + "\n  ".join(problems[:40])
