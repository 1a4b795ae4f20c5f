"""Notifications: channels and subscriptions through the SDK, events over the channel's WebSocket."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import websocket

from harness import (
    ApiException,
    assert_api_error,
    find_conference,
    gc,
    live_parties,
    mk,
    queue_of,
    user_of,
)
from sdkcheck import all_problems

WS_TIMEOUT_S = 5.0


class Socket:
    """A channel WebSocket that collects every message it reads."""

    def __init__(self, uri: str):
        self.ws = websocket.create_connection(uri, timeout=WS_TIMEOUT_S)
        self.seen: list[dict] = []

    def next(self, timeout: float) -> dict | None:
        self.ws.settimeout(max(timeout, 0.01))
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        if raw == "":  # websocket-client returns "" once the server's close frame arrived
            raise websocket.WebSocketConnectionClosedException("closed by the server")
        msg = json.loads(raw)
        self.seen.append(msg)
        return msg

    def wait_for(self, pred, timeout: float = WS_TIMEOUT_S, what: str = "message") -> dict:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self.next(left)
            if msg is not None and pred(msg):
                return msg
        topics = [m.get("topicName") for m in self.seen]
        raise AssertionError(f"no {what} within {timeout}s; topics seen: {topics}")

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:  # noqa: BLE001 - already closed by the server is fine
            pass


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


def is_event(topic: str):
    return lambda m: m.get("topicName") == topic


def participant(body: dict, pid: str) -> dict:
    return next(p for p in body["participants"] if p["id"] == pid)


def test_channel_create(emu, supervisor):
    ch = supervisor.notifications.post_notifications_channels()
    assert isinstance(ch, gc.Channel)
    assert ch.id.startswith("streaming-"), ch.id
    assert ch.connect_uri == f"ws://127.0.0.1:{emu.port}/channels/{ch.id}", ch.connect_uri
    assert ch.expires is not None
    expected = datetime.now(timezone.utc) + timedelta(hours=24)
    assert abs((ch.expires - expected).total_seconds()) < 120, ch.expires
    supervisor.notifications.head_notifications_channel(ch.id)  # 200: no exception
    listing = supervisor.notifications.get_notifications_channels()
    assert ch.id in [c.id for c in listing.entities]
    with pytest.raises(ApiException) as err:
        supervisor.notifications.head_notifications_channel("streaming-0-nosuchchannel")
    assert err.value.status == 404


def test_subscriptions_put_post_get_delete(emu, supervisor):
    conv, _ = find_conference(emu)
    qid = queue_of(conv)
    me = supervisor.users.get_users_me()
    ch = supervisor.notifications.post_notifications_channels()
    q_topic = f"v2.routing.queues.{qid}.conversations.calls"
    u_topic = f"v2.users.{me.id}.conversations.calls"

    put = supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=q_topic)])
    assert isinstance(put, gc.ChannelTopicEntityListing)
    assert [t.id for t in put.entities] == [q_topic]
    assert put.entities[0].state in (None, "Permitted")

    post = supervisor.notifications.post_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=u_topic)])
    assert sorted(t.id for t in post.entities) == sorted([q_topic, u_topic])

    got = supervisor.notifications.get_notifications_channel_subscriptions(ch.id)
    assert sorted(t.id for t in got.entities) == sorted([q_topic, u_topic])

    replaced = supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=u_topic)])
    assert [t.id for t in replaced.entities] == [u_topic]

    supervisor.notifications.delete_notifications_channel_subscriptions(ch.id)
    assert supervisor.notifications.get_notifications_channel_subscriptions(ch.id).entities in ([], None)


def test_invalid_topic_is_refused(emu, supervisor):
    ch = supervisor.notifications.post_notifications_channels()
    with pytest.raises(ApiException) as err:
        supervisor.notifications.put_notifications_channel_subscriptions(
            ch.id, [mk(gc.ChannelTopic, id="v2.not.a.real.topic")])
    assert_api_error(err.value, 400, "notification.invalid.topic")


def test_available_topics_include_the_ones_we_use(supervisor):
    listing = supervisor.notifications.get_notifications_availabletopics(expand=["requiresPermissions"])
    ids = {t.id for t in listing.entities}
    for want in ("v2.routing.queues.{id}.conversations.calls", "v2.users.{id}.conversations.calls",
                 "v2.routing.queues.{id}.conversations", "v2.users.{id}.conversations"):
        assert want in ids, f"{want} not in availabletopics"
    problems = all_problems(supervisor.last_json(), "AvailableTopicEntityListing")
    assert not problems, "\n".join(problems[:20])


def test_drop_event_arrives_on_the_queue_topic(emu, supervisor, sockets):
    conv, target = find_conference(emu)
    qid = queue_of(conv)
    topic = f"v2.routing.queues.{qid}.conversations.calls"
    ch = supervisor.notifications.post_notifications_channels()
    supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=topic)])
    sock = sockets(ch.connect_uri)

    supervisor.conversations.patch_conversations_call_participant(
        conv["id"], target["id"], mk(gc.MediaParticipantRequest, state="disconnected"))

    msg = sock.wait_for(
        lambda m: m.get("topicName") == topic and m.get("eventBody", {}).get("id") == conv["id"]
        and participant(m["eventBody"], target["id"]).get("state") == "disconnected",
        what=f"{topic} event showing the leg disconnected")
    assert msg.get("version") == "2"
    assert isinstance(msg.get("metadata", {}).get("CorrelationId"), str), msg.get("metadata")
    body = msg["eventBody"]
    others = [p["id"] for p in live_parties(conv) if p["id"] != target["id"]]
    for pid in others:
        assert participant(body, pid)["state"] == "connected"
    assert len(body["participants"]) == len(conv["participants"]), "the event carries the whole conversation"
    # The SDK's event model for this topic (notificationMappings: QueueConversationCallEventTopicCallConversation).
    event = supervisor.client._ApiClient__deserialize(body, "QueueConversationCallEventTopicCallConversation")
    dropped = next(p for p in event.participants if p.id == target["id"])
    assert dropped.state == "disconnected" and dropped.disconnect_type == "client"
    assert dropped.user is None or dropped.user.id == user_of(target)


def test_drop_event_arrives_on_the_dropped_users_topic(emu, supervisor, sockets):
    conv, target = find_conference(emu)
    uid = user_of(target)
    if uid is None:
        pytest.skip("the chosen party is not a user")
    topic = f"v2.users.{uid}.conversations.calls"
    ch = supervisor.notifications.post_notifications_channels()
    supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=topic)])
    sock = sockets(ch.connect_uri)
    supervisor.conversations.patch_conversations_call_participant(
        conv["id"], target["id"], mk(gc.MediaParticipantRequest, state="disconnected"))
    msg = sock.wait_for(
        lambda m: m.get("topicName") == topic and m.get("eventBody", {}).get("id") == conv["id"]
        and participant(m["eventBody"], target["id"]).get("state") == "disconnected",
        what=f"{topic} event")
    event = supervisor.client._ApiClient__deserialize(msg["eventBody"], "ConversationCallEventTopicCallConversation")
    assert any(p.id == target["id"] and p.state == "disconnected" for p in event.participants)


def test_no_event_for_a_body_that_changes_nothing(emu, supervisor, sockets):
    """Events come from state changes only: a dispositionCode/dropReason PATCH publishes nothing."""
    conv, target = find_conference(emu)
    topic = f"v2.routing.queues.{queue_of(conv)}.conversations.calls"
    ch = supervisor.notifications.post_notifications_channels()
    supervisor.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=topic)])
    sock = sockets(ch.connect_uri)
    supervisor.raw("PATCH", f"/api/v2/conversations/calls/{conv['id']}/participants/{target['id']}",
                   {"dispositionCode": "X", "dropReason": "Y"})
    deadline = time.monotonic() + 0.6
    while (left := deadline - time.monotonic()) > 0:
        msg = sock.next(left)
        if msg is not None:
            assert not (msg.get("topicName") == topic and msg.get("eventBody", {}).get("id") == conv["id"]), \
                f"an event was published for a PATCH that changed nothing: {str(msg)[:300]}"


def test_heartbeat_and_ping_pong(emu, supervisor, sockets):
    ch = supervisor.notifications.post_notifications_channels()
    sock = sockets(ch.connect_uri)
    hb = sock.wait_for(
        lambda m: m.get("topicName") == "channel.metadata"
        and m.get("eventBody", {}).get("message") == "WebSocket Heartbeat",
        timeout=3.0, what="heartbeat (--heartbeat-secs 1)")
    assert hb["eventBody"] == {"message": "WebSocket Heartbeat"}
    sock.ws.send(json.dumps({"message": "ping"}))
    pong = sock.wait_for(
        lambda m: m.get("topicName") == "channel.metadata" and m.get("eventBody", {}).get("message") == "pong",
        timeout=2.0, what="pong")
    assert pong["eventBody"] == {"message": "pong"}
    # Heartbeats keep coming about every second.
    t0 = time.monotonic()
    sock.wait_for(lambda m: m.get("eventBody", {}).get("message") == "WebSocket Heartbeat",
                  timeout=2.5, what="second heartbeat")
    assert time.monotonic() - t0 < 2.5


def test_socket_closing_fault(emu, supervisor, sockets):
    ch = supervisor.notifications.post_notifications_channels()
    sock = sockets(ch.connect_uri)
    sock.wait_for(lambda m: m.get("topicName") == "channel.metadata", timeout=3.0, what="first heartbeat")
    emu.add_fault("socket_closing", graceMs=200)
    msg = sock.wait_for(is_event("v2.system.socket_closing"), timeout=3.0, what="v2.system.socket_closing")
    problems = all_problems(msg["eventBody"], "SystemMessageSystemMessage")
    assert not problems, "\n".join(problems)
    deadline = time.monotonic() + 3.0
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            sock.next(deadline - time.monotonic())
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            closed = True
    assert closed, "the socket was not closed after socket_closing"


def test_21st_channel_evicts_one(emu, supervisor, sockets):
    """20 channels per user; the 21st evicts the least recently used (contract: its socket is closed)."""
    channels = [supervisor.notifications.post_notifications_channels() for _ in range(20)]
    assert len({c.id for c in channels}) == 20
    for c in channels:
        supervisor.notifications.head_notifications_channel(c.id)
    newest = supervisor.notifications.post_notifications_channels()
    gone = []
    for c in [*channels, newest]:
        try:
            supervisor.notifications.head_notifications_channel(c.id)
        except ApiException as err:
            assert err.status == 404, err.status
            gone.append(c.id)
    assert len(gone) == 1 and gone[0] != newest.id, f"expected exactly one old channel evicted, got {gone}"


def test_evicted_channel_socket_is_closed(emu, supervisor, sockets):
    """With every channel connected, the least recently used one goes and its socket is closed."""
    channels = [supervisor.notifications.post_notifications_channels() for _ in range(20)]
    socks = [sockets(c.connect_uri) for c in channels]
    for s in socks:
        s.wait_for(lambda m: m.get("topicName") == "channel.metadata", timeout=3.0, what="first heartbeat")
    for c in channels[1:]:  # use every channel but the first
        supervisor.notifications.get_notifications_channel_subscriptions(c.id)
    supervisor.notifications.post_notifications_channels()
    evicted = []
    for c in channels:
        try:
            supervisor.notifications.head_notifications_channel(c.id)
        except ApiException as err:
            assert err.status == 404
            evicted.append(c.id)
    assert evicted == [channels[0].id], f"expected the least recently used {channels[0].id}, evicted {evicted}"
    deadline = time.monotonic() + 3.0
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            socks[0].next(deadline - time.monotonic())
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            closed = True
    assert closed, "the evicted channel's socket stayed open"
