"""The analytics details query the board is built from, and queue-less bridges, through the official SDK.

This module runs its own emulator: the load scenario (250 live calls, about 3 % of them conference
bridges with no queue) and a 300 ms analytics lag, so paging and lag are exercised without long sleeps.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from harness import (
    STANDARD_ARGS,
    SUPERVISOR,
    ApiException,
    EmulatorProcess,
    assert_api_error,
    gc,
    live_parties,
    mk,
    sign_in_pkce,
    user_of,
)
from sdkcheck import all_problems
from test_notifications import Socket

LOAD_CALLS = 250
LAG_S = 0.3
DETAIL_PERMISSION = "analytics:conversationDetail:view"


@pytest.fixture(scope="module")
def emulator_process():
    """Overrides conftest's: the load scenario with a short analytics lag."""
    args = [a if a != "demo" else "load" for a in STANDARD_ARGS]
    proc = EmulatorProcess(args=[*args, "--conversations", str(LOAD_CALLS),
                                 "--analytics-lag-ms", str(int(LAG_S * 1000))])
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def sockets():
    opened: list[Socket] = []

    def open_socket(uri: str) -> Socket:
        s = Socket(uri)
        opened.append(s)
        return s

    yield open_socket
    for s in opened:
        s.close()


def wide_interval() -> str:
    """Yesterday 00:00 to tomorrow 00:00 UTC: results keep calls that started on a day the interval touches."""
    today = datetime.now(timezone.utc).date()
    return f"{today - timedelta(days=1)}T00:00:00.000Z/{today + timedelta(days=1)}T00:00:00.000Z"


def live_query(page_number: int = 1, page_size: int = 100, conversation_id: str | None = None,
               user_id: str | None = None) -> "gc.ConversationQuery":
    preds = [mk(gc.ConversationDetailQueryPredicate, type="dimension", dimension="conversationEnd", operator="notExists")]
    if conversation_id:
        preds.append(mk(gc.ConversationDetailQueryPredicate, type="dimension", dimension="conversationId",
                        operator="matches", value=conversation_id))
    query = mk(gc.ConversationQuery, interval=wide_interval(), order="asc", order_by="conversationStart",
               conversation_filters=[mk(gc.ConversationDetailQueryFilter, type="and", predicates=preds)],
               paging=mk(gc.PagingSpec, page_size=page_size, page_number=page_number))
    if user_id:
        query.segment_filters = [mk(gc.SegmentDetailQueryFilter, type="and", predicates=[
            mk(gc.SegmentDetailQueryPredicate, type="dimension", dimension="userId", operator="matches", value=user_id)])]
    return query


def is_bridge(conv: dict) -> bool:
    """A conference with no queue anywhere: no ACD leg, no queue reference on any participant."""
    return all(p.get("purpose") != "acd" and not p.get("queue") for p in conv.get("participants", [])) \
        and not conv.get("queueId")


def test_details_pages_deserialize_every_field_we_rely_on(emu, supervisor):
    truth = {c["id"]: c for c in emu.truth() if live_parties(c)}
    assert len(truth) == LOAD_CALLS
    seen: dict[str, "gc.AnalyticsConversationWithoutAttributes"] = {}
    total_hits = None
    for page in range(1, 10):
        resp = supervisor.analytics.post_analytics_conversations_details_query(live_query(page))
        assert isinstance(resp, gc.AnalyticsConversationQueryResponse)
        problems = all_problems(supervisor.last_json(), "AnalyticsConversationQueryResponse")
        assert not problems, "\n".join(problems[:20])
        total_hits = resp.total_hits
        if not resp.conversations:
            break
        assert len(resp.conversations) <= 100
        for c in resp.conversations:
            seen.setdefault(c.conversation_id, c)
    assert total_hits == LOAD_CALLS
    assert set(seen) == set(truth), f"missing {set(truth) - set(seen)}, unexpected {set(seen) - set(truth)}"

    for cid, c in seen.items():
        conv = truth[cid]
        true_parts = {p["id"]: p for p in conv["participants"]}
        assert [p.participant_id for p in c.participants] == [p["id"] for p in conv["participants"]], \
            "participantId is the Conversations API participant id"
        bridges = set()
        for p in c.participants:
            tp = true_parts[p.participant_id]
            assert p.purpose == tp["purpose"]
            assert p.participant_name == tp["name"]
            assert p.user_id == user_of(tp)
            assert p.sessions, f"{cid}/{p.participant_id} has no session"
            for s in p.sessions:
                assert s.session_id, "sessionId"
                bridges.add(s.media_bridge_id)
                for i, seg in enumerate(s.segments):
                    assert seg.segment_type in ("alert", "interact", "hold", "dialing"), seg.segment_type
                    assert isinstance(seg.segment_start, datetime)
                    assert isinstance(seg.audio_muted, bool), "audioMuted on every segment"
                    if seg.segment_end is None:
                        assert i == len(s.segments) - 1, "only the last segment may be open"
                        assert tp["state"] not in ("disconnected", "terminated"), "an ended leg has no open segment"
                    else:
                        assert seg.segment_end >= seg.segment_start
                    queue = (tp.get("queue") or {}).get("id")
                    assert seg.queue_id == queue
        assert len(bridges) == 1 and None not in bridges, f"{cid}: one mediaBridgeId for all sessions, got {bridges}"


def test_page_size_101_is_refused(supervisor):
    with pytest.raises(ApiException) as err:
        supervisor.analytics.post_analytics_conversations_details_query(live_query(1, 101))
    body = assert_api_error(err.value, 400, "bad.request")
    assert "101" in body["message"]


def test_too_deep_page_is_refused(emu, supervisor):
    emu.ctl("POST", "/_emulator/analytics", {"maxResults": 200})
    supervisor.analytics.post_analytics_conversations_details_query(live_query(2))
    with pytest.raises(ApiException) as err:
        supervisor.analytics.post_analytics_conversations_details_query(live_query(3))
    body = assert_api_error(err.value, 400, "bad.request")
    assert "too deep" in body["message"]


def test_a_new_call_shows_only_after_the_lag(emu, supervisor):
    users = {u["email"]: u["id"] for u in emu.users()}
    queue = emu.queues()[0]["id"]
    conv = emu.ctl("POST", "/_emulator/conversations", {"queueId": queue, "parties": [
        {"purpose": "customer"}, {"purpose": "agent", "userId": users["agent1@demo.example"]}]}).json()
    first = supervisor.analytics.post_analytics_conversations_details_query(live_query(conversation_id=conv["id"]))
    assert not first.conversations and first.total_hits == 0, "a call younger than the lag is not there yet"
    time.sleep(LAG_S + 0.2)
    later = supervisor.analytics.post_analytics_conversations_details_query(live_query(conversation_id=conv["id"]))
    assert [c.conversation_id for c in later.conversations] == [conv["id"]]


def test_user_without_the_detail_permission_gets_403(emu):
    email = "nodetail@demo.example"
    emu.ctl("POST", "/_emulator/users", {"email": email, "permissions": [
        "conversation:communication:view", "analytics:queueObservation:view", "routing:queue:view"]})
    sdk = sign_in_pkce(emu, email)
    queues = sdk.routing.get_routing_queues(page_size=100).entities
    obs = sdk.analytics.post_analytics_queues_observations_query(mk(
        gc.QueueObservationQuery,
        filter=mk(gc.QueueObservationQueryFilter, type="or",
                  predicates=[mk(gc.QueueObservationQueryPredicate, dimension="queueId", value=q.id) for q in queues]),
        metrics=["oInteracting"]))
    assert obs.results, "queue observations are allowed"
    with pytest.raises(ApiException) as err:
        sdk.analytics.post_analytics_conversations_details_query(live_query())
    body = assert_api_error(err.value, 403, "missing.any.permissions")
    assert DETAIL_PERMISSION in body["message"]


def test_queue_less_bridge_event_on_the_user_topic(emu, supervisor, sockets):
    bridges = [c for c in emu.truth() if live_parties(c) and is_bridge(c)]
    assert bridges, "the load scenario has conference bridges without a queue"
    bridge = bridges[0]
    uid = next(user_of(p) for p in bridge["participants"] if user_of(p))
    user_topic = f"v2.users.{uid}.conversations.calls"
    queue_topics = [f"v2.routing.queues.{q['id']}.conversations.calls" for q in emu.queues()]
    ch = supervisor.notifications.post_notifications_channels()
    supervisor.notifications.put_notifications_channel_subscriptions(
        ch.id, [mk(gc.ChannelTopic, id=t) for t in [user_topic, *queue_topics]])
    sock = sockets(ch.connect_uri)

    emu.ctl("POST", f"/_emulator/conversations/{bridge['id']}/participants",
            {"purpose": "external", "name": "Fabrikam Claims"})
    msg = sock.wait_for(lambda m: m.get("topicName") == user_topic
                        and m.get("eventBody", {}).get("id") == bridge["id"], what=f"{user_topic} event")
    body = msg["eventBody"]
    problems = all_problems(body, "ConversationCallEventTopicCallConversation")
    assert not problems, "\n".join(problems[:20])
    event = supervisor.client._ApiClient__deserialize(body, "ConversationCallEventTopicCallConversation")
    assert isinstance(event, gc.ConversationCallEventTopicCallConversation)
    assert event.id == bridge["id"]
    assert len(event.participants) == len(bridge["participants"]) + 1, "the joined party is in the event"
    assert any(p.user and p.user.id == uid for p in event.participants)
    assert all(p.queue is None and p.purpose != "acd" for p in event.participants), "no queue anywhere"

    # Nothing about the bridge ever reaches a queue topic.
    deadline = time.monotonic() + 0.5
    while (left := deadline - time.monotonic()) > 0:
        sock.next(left)
    leaked = [m for m in sock.seen if m.get("topicName") in queue_topics
              and m.get("eventBody", {}).get("id") == bridge["id"]]
    assert not leaked, f"a queue-less bridge reached a queue topic: {leaked[0]['topicName']}"

    # The bridge is in the details query filtered by its user (once the lag has passed).
    time.sleep(LAG_S + 0.2)
    resp = supervisor.analytics.post_analytics_conversations_details_query(live_query(user_id=uid))
    assert bridge["id"] in [c.conversation_id for c in resp.conversations or []]
    me = supervisor.users.get_users_me()
    assert me.email == SUPERVISOR
