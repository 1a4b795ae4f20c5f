"""Transcription (issue 8): the official SDK's TranscriptionTopicTranscriptionMessage decodes every message
the emulator sends on v2.conversations.{id}.transcription (utterances, heartbeats, the session end), the
topic needs conversation:transcription:view, and the emulator's transcription flags take effect."""

from __future__ import annotations

import time

import pytest

from harness import (
    ApiException,
    EmulatorProcess,
    assert_api_error,
    gc,
    live_parties,
    mk,
)
from sdkcheck import assert_conforms
from test_notifications import Socket, sockets  # noqa: F401 - the sockets fixture

DELAY_MS = 300
HEARTBEAT_MS = 600
MODEL = "TranscriptionTopicTranscriptionMessage"
PERMISSION = "conversation:transcription:view"


@pytest.fixture(scope="module")
def emulator_process():
    """This module's emulator runs with short transcription flags (the defaults are 35 s and 5 min)."""
    proc = EmulatorProcess(extra_args=[
        "--transcription-delay-ms", str(DELAY_MS),
        "--transcription-heartbeat-ms", str(HEARTBEAT_MS),
        "--speech-every-ms", "0",
    ])
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()


def switch_on(emu) -> None:
    emu.ctl("POST", "/_emulator/transcription", {"enabled": True})


def customer_call(emu) -> tuple[dict, dict]:
    for conv in emu.truth():
        parties = live_parties(conv)
        customer = next((p for p in parties if p.get("purpose") == "customer"
                         and not p.get("held") and not p.get("muted")), None)
        if customer is not None and len(parties) >= 2:
            return conv, customer
    raise AssertionError("the demo has no live call with a customer")


def subscribe(sdk, sockets, conv_id: str):  # noqa: F811 - the fixture is passed in
    topic = f"v2.conversations.{conv_id}.transcription"
    ch = sdk.notifications.post_notifications_channels()
    sdk.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=topic)])
    return topic, sockets(ch.connect_uri)


def decode(sdk, body: dict):
    """The SDK's own deserialiser, after the strict shape check."""
    assert_conforms(body, MODEL)
    return sdk.client._ApiClient__deserialize(body, MODEL)


def test_the_flags_set_the_transcription_timing(emu):
    settings = emu.ctl("GET", "/_emulator/transcription").json()
    assert settings == {"delayMs": DELAY_MS, "heartbeatMs": HEARTBEAT_MS, "speechEveryMs": 0,
                        "licensed": True, "enabled": False}


def test_utterances_and_heartbeats_decode_with_the_sdk_model(emu, supervisor, sockets):  # noqa: F811
    switch_on(emu)
    conv, customer = customer_call(emu)
    topic, sock = subscribe(supervisor, sockets, conv["id"])
    beat = sock.wait_for(lambda m: m.get("topicName") == topic, timeout=HEARTBEAT_MS / 1000 * 3,
                         what="the session's first status message")
    start = decode(supervisor, beat["eventBody"])
    assert isinstance(start, gc.TranscriptionTopicTranscriptionMessage)
    assert start.conversation_id == conv["id"]
    assert start.status.status == "SESSION_ONGOING"
    assert not start.transcripts

    said = emu.ctl("POST", f"/_emulator/conversations/{conv['id']}/participants/{customer['id']}/speak",
                   {"text": "my reference is seven four two"}).json()
    assert said["transcribed"] is True and said["channel"] == "EXTERNAL", said
    spoken = time.monotonic()
    msg = sock.wait_for(lambda m: m.get("topicName") == topic and m["eventBody"].get("transcripts"),
                        timeout=DELAY_MS / 1000 * 6, what="the utterance")
    assert time.monotonic() - spoken >= DELAY_MS / 1000 * 0.9, "delivered before the configured delay"
    event = decode(supervisor, msg["eventBody"])
    result = event.transcripts[0]
    assert isinstance(result, gc.TranscriptionTopicTranscriptResult)
    assert result.utterance_id == said["utteranceId"]
    assert result.is_final is True
    assert result.channel == "EXTERNAL"
    alternative = result.alternatives[0]
    assert isinstance(alternative, gc.TranscriptionTopicTranscriptAlternative)
    assert alternative.transcript == "my reference is seven four two"
    assert [w.word for w in alternative.words] == "my reference is seven four two".split()
    assert event.event_time is not None and event.transcription_start_time_ms > 0


def test_the_session_end_decodes_with_the_sdk_model(emu, supervisor, sockets):  # noqa: F811
    switch_on(emu)
    conv, _ = customer_call(emu)
    topic, sock = subscribe(supervisor, sockets, conv["id"])
    emu.ctl("POST", f"/_emulator/conversations/{conv['id']}/end")
    msg = sock.wait_for(lambda m: m.get("topicName") == topic
                        and m["eventBody"].get("status", {}).get("status") == "SESSION_ENDED",
                        timeout=DELAY_MS / 1000 * 6, what="SESSION_ENDED")
    assert decode(supervisor, msg["eventBody"]).status.status == "SESSION_ENDED"


def test_the_topic_needs_the_transcription_permission(emu, observer):
    conv, _ = customer_call(emu)
    topic = f"v2.conversations.{conv['id']}.transcription"
    ch = observer.notifications.post_notifications_channels()
    with pytest.raises(ApiException) as err:
        observer.notifications.put_notifications_channel_subscriptions(ch.id, [mk(gc.ChannelTopic, id=topic)])
    body = assert_api_error(err.value, 403, "missing.any.permissions")
    assert PERMISSION in body.get("message", ""), body
    listing = observer.notifications.put_notifications_channel_subscriptions(
        ch.id, [mk(gc.ChannelTopic, id=topic)], ignore_errors=True)
    rejected = listing.entities[0]
    assert rejected.state == "Rejected" and rejected.missing_permissions == [PERMISSION]
    topics = observer.notifications.get_notifications_availabletopics(expand=["requiresPermissions"])
    found = next(t for t in topics.entities if t.id == "v2.conversations.{id}.transcription")
    assert found.requires_permissions == [PERMISSION]
