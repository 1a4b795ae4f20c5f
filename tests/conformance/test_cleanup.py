"""Cleaning up stuck and deaf legs (issue 8) through the official SDK: the emergency teardown applies the
system wrap-up the SDK's Wrapup model reads, and the patch-ignored world's deaf leg shrugs off the
participant PATCH but yields to the communication disconnect."""

from __future__ import annotations

import time

from harness import gc, live_parties, mk
from sdkcheck import assert_conforms

SYSTEM_WRAPUP = "ININ-WRAP-UP-TIMEOUT"


def test_the_teardown_applies_a_system_wrapup_the_sdk_reads(emu, supervisor):
    conv = next(c for c in emu.truth()
                if "endTime" not in c and any(p.get("wrapupRequired") for p in live_parties(c)))
    supervisor.conversations.post_conversation_disconnect(conv["id"])
    call = supervisor.conversations.get_conversations_call(conv["id"])
    assert_conforms(supervisor.last_json(), "CallConversation", "CallConversation after the teardown")
    wrapped = [p for p in call.participants if p.wrapup is not None]
    assert wrapped, "the legs pending wrap-up carry the system wrap-up"
    for p in wrapped:
        assert isinstance(p.wrapup, gc.Wrapup)
        assert p.wrapup_required is True
        assert p.wrapup.code == SYSTEM_WRAPUP and p.wrapup.end_time is not None
    generic = supervisor.conversations.get_conversation(conv["id"])
    assert_conforms(supervisor.last_json(), "Conversation", "Conversation after the teardown")
    assert {p.id for p in generic.participants if p.wrapup and p.wrapup.code == SYSTEM_WRAPUP} \
        == {p.id for p in wrapped}


def test_the_deaf_leg_yields_only_to_the_communication_disconnect(emu, supervisor):
    emu.ctl("POST", "/_emulator/scenario", {"name": "patch-ignored"})
    try:
        conv = next(c for c in emu.truth()
                    if any(p.get("name") == "Litware Escalations" for p in live_parties(c)))
        deaf = next(p for p in live_parties(conv) if p.get("name") == "Litware Escalations")
        supervisor.conversations.patch_conversations_call_participant(
            conv["id"], deaf["id"], mk(gc.MediaParticipantRequest, state="disconnected"))
        time.sleep(0.3)  # six patch delays of the suite's 50 ms
        after = emu.truth_conversation(conv["id"])
        assert next(p for p in after["participants"] if p["id"] == deaf["id"])["state"] == "connected"

        generic = supervisor.conversations.get_conversation(conv["id"])
        comm = next(p for p in generic.participants if p.id == deaf["id"]).calls[0].id
        supervisor.conversations.patch_conversations_call_participant_communication(
            conv["id"], deaf["id"], comm, mk(gc.MediaParticipantRequest, state="disconnected"))
        deadline = time.monotonic() + 3
        state = None
        while time.monotonic() < deadline:
            after = emu.truth_conversation(conv["id"])
            state = next(p for p in after["participants"] if p["id"] == deaf["id"])["state"]
            if state == "disconnected":
                break
            time.sleep(0.05)
        assert state == "disconnected"
        assert "endTime" not in after, "the customer and the agent talk on"
    finally:
        emu.ctl("POST", "/_emulator/scenario", {"name": "demo"})
