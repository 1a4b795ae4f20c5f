"""Dropping one party through the SDK: 202, asynchronous effect, refusals as the SDK surfaces them."""

from __future__ import annotations

import json
import time

import pytest
import requests

from harness import (
    DISCONNECT_PERMISSION,
    ENDED_STATES,
    ApiException,
    assert_api_error,
    call_state,
    find_conference,
    find_ended_leg,
    find_two_party_call,
    gc,
    header,
    live_parties,
    mk,
    new_uuid,
    user_of,
    wait_for,
)

PATCH_DELAY_S = 0.05  # --patch-delay-ms 50
SETTLE_S = 0.5  # ten patch delays: long enough for any (wrongly) applied change to show


def drop(sdk, conv_id: str, part_id: str) -> None:
    result = sdk.conversations.patch_conversations_call_participant(
        conv_id, part_id, mk(gc.MediaParticipantRequest, state="disconnected"))
    assert result is None  # 202 with an empty body: the SDK returns None
    assert sdk.client.last_response.status == 202, sdk.client.last_response.status
    assert sdk.client.last_response.data in ("", None), f"202 body must be empty: {sdk.client.last_response.data!r}"


def states(sdk, conv_id: str) -> dict[str, str]:
    return {p.id: p.state for p in sdk.conversations.get_conversations_call(conv_id).participants}


def test_drop_one_party_of_a_conference(emu, supervisor):
    conv, target = find_conference(emu)
    before = states(supervisor, conv["id"])
    others = [p["id"] for p in live_parties(conv) if p["id"] != target["id"]]

    drop(supervisor, conv["id"], target["id"])

    after_conv = wait_for(
        lambda: (c := supervisor.conversations.get_conversations_call(conv["id"]))
        and call_state(c, target["id"]) == "disconnected" and c,
        timeout=5, what=f"leg {target['id']} to show disconnected")
    after = {p.id: p for p in after_conv.participants}
    assert list(after) == list(before), "participants are never removed or reordered"
    dropped = after[target["id"]]
    assert dropped.end_time is not None, "a dropped leg gets endTime"
    assert dropped.disconnect_type == "client", dropped.disconnect_type
    for pid in others:
        assert after[pid].state == "connected", f"{pid} should still be connected, is {after[pid].state}"
    generic = supervisor.conversations.get_conversation(conv["id"])
    assert generic.end_time is None, "the conference goes on"
    p = next(p for p in generic.participants if p.id == target["id"])
    assert all(c.state in ENDED_STATES for c in p.calls), [c.state for c in p.calls]


def test_drop_is_asynchronous(emu, supervisor):
    """The PATCH answers before the change is applied (after --patch-delay-ms)."""
    conv, target = find_conference(emu)
    t0 = time.monotonic()
    drop(supervisor, conv["id"], target["id"])
    immediately = states(supervisor, conv["id"])[target["id"]]
    elapsed = time.monotonic() - t0
    if elapsed < PATCH_DELAY_S:
        assert immediately == "connected", "the leg changed before the patch delay elapsed"
    wait_for(lambda: states(supervisor, conv["id"])[target["id"]] == "disconnected", what="the drop to apply")


def test_generic_participant_patch_drops_too(emu, supervisor):
    conv, target = find_conference(emu)
    supervisor.conversations.patch_conversation_participant(
        conv["id"], target["id"], mk(gc.MediaParticipantRequest, state="disconnected"))
    assert supervisor.client.last_response.status == 202
    wait_for(lambda: states(supervisor, conv["id"])[target["id"]] == "disconnected", what="generic PATCH to apply")


@pytest.mark.parametrize("body", [
    {"dispositionCode": "X", "dropReason": "Y"},
    {},
], ids=["dispositionCode-dropReason", "empty-object"])
def test_body_without_state_is_accepted_and_changes_nothing(emu, supervisor, body):
    conv, target = find_conference(emu)
    before = emu.truth_conversation(conv["id"])
    supervisor.raw("PATCH", f"/api/v2/conversations/calls/{conv['id']}/participants/{target['id']}", body)
    assert supervisor.client.last_response.status == 202, supervisor.client.last_response.status
    time.sleep(SETTLE_S)
    after = emu.truth_conversation(conv["id"])
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True), \
        "a body with no recognised field must change nothing (the phantom-leg trap)"
    assert call_state(supervisor.conversations.get_conversations_call(conv["id"]), target["id"]) == "connected"


def test_legactions_path_does_not_exist(emu, supervisor):
    conv, target = find_conference(emu)
    with pytest.raises(ApiException) as err:
        supervisor.raw("POST", "/api/v2/conversations/voice/legactions/participants",
                       {"conversationId": conv["id"], "participantId": target["id"], "action": "disconnect"})
    assert_api_error(err.value, 404, "not.found")
    time.sleep(SETTLE_S)
    assert states(supervisor, conv["id"])[target["id"]] == "connected"


def test_drop_of_an_ended_leg_is_refused(emu, supervisor):
    conv, ended = find_ended_leg(emu)
    with pytest.raises(ApiException) as err:
        drop(supervisor, conv["id"], ended["id"])
    body = assert_api_error(err.value, 400, "conversation.error.call.disconnected")
    assert body.get("contextId") == header(err.value.headers, "ININ-Correlation-Id")


def test_drop_twice_second_is_refused_once_applied(emu, supervisor):
    conv, target = find_conference(emu)
    drop(supervisor, conv["id"], target["id"])
    wait_for(lambda: states(supervisor, conv["id"])[target["id"]] == "disconnected", what="first drop")
    with pytest.raises(ApiException) as err:
        drop(supervisor, conv["id"], target["id"])
    assert_api_error(err.value, 400, "conversation.error.call.disconnected")


@pytest.mark.parametrize("who", ["agent", "observer"])
def test_user_without_disconnect_permission_is_refused(emu, who, request):
    caller = request.getfixturevalue(who)
    me = caller.users.get_users_me(expand=["authorization"])
    assert DISCONNECT_PERMISSION not in me.authorization.permissions
    conv, target = find_conference(emu, exclude_user=me.id)
    with pytest.raises(ApiException) as err:
        drop(caller, conv["id"], target["id"])
    assert_api_error(err.value, (403, 404), ("missing.any.permissions", "conversation.error.not.conversation.participant"))
    time.sleep(SETTLE_S)
    truth = {p["id"]: p["state"] for p in emu.truth_conversation(conv["id"])["participants"]}
    assert truth[target["id"]] == "connected", "a refused drop must change nothing"


def test_agent_may_drop_their_own_leg(emu, agent):
    me = agent.users.get_users_me()
    own = None
    for conv in emu.truth():
        if len(live_parties(conv)) >= 3:
            mine = [p for p in live_parties(conv) if user_of(p) == me.id]
            if mine:
                own = (conv, mine[-1])
                break
    if own is None:
        pytest.skip("agent1 is on no live conference in the demo scenario")
    conv, leg = own
    drop(agent, conv["id"], leg["id"])
    wait_for(lambda: agent.conversations.get_conversations_call(conv["id"]) and
             call_state(agent.conversations.get_conversations_call(conv["id"]), leg["id"]) == "disconnected",
             what="agent's own leg to disconnect")


def test_client_credentials_cannot_drop(emu, service):
    conv, target = find_conference(emu)
    with pytest.raises(ApiException) as err:
        drop(service, conv["id"], target["id"])
    assert_api_error(err.value, 400, "not.a.user")


def test_unknown_conversation_and_participant(emu, supervisor):
    conv, _ = find_conference(emu)
    with pytest.raises(ApiException) as err:
        drop(supervisor, new_uuid(), new_uuid())
    assert_api_error(err.value, 404, "conversation.error.conversation.not.found")
    with pytest.raises(ApiException) as err:
        drop(supervisor, conv["id"], new_uuid())
    assert_api_error(err.value, 404, ("conversation.error.not.conversation.participant", "not.found"))


def test_bad_enum_value_is_invalid_value(emu, supervisor):
    conv, target = find_conference(emu)
    # The SDK's model setter would rewrite an unknown state to "outdated_sdk_version"; send the raw value.
    with pytest.raises(ApiException) as err:
        supervisor.raw("PATCH", f"/api/v2/conversations/calls/{conv['id']}/participants/{target['id']}",
                       {"state": "gone"})
    body = assert_api_error(err.value, 400, "invalid.value")
    assert "gone" in body["message"], body["message"]
    with pytest.raises(ApiException) as err:
        supervisor.raw("PATCH", f"/api/v2/conversations/calls/{conv['id']}/participants/{target['id']}",
                       {"muted": "yes"})
    assert_api_error(err.value, 400, ("invalid.value", "bad.request"))


def test_sdk_outdated_enum_placeholder_is_refused_not_applied(emu, supervisor):
    """What an old SDK would send for a state it does not know must not be taken as a drop."""
    conv, target = find_conference(emu)
    req = mk(gc.MediaParticipantRequest, state="gone")
    assert req.state == "outdated_sdk_version"
    with pytest.raises(ApiException) as err:
        supervisor.conversations.patch_conversations_call_participant(conv["id"], target["id"], req)
    assert_api_error(err.value, 400, "invalid.value")


def test_malformed_json_is_bad_request(emu, supervisor):
    conv, target = find_conference(emu)
    resp = requests.patch(
        f"{emu.base_url}/api/v2/conversations/calls/{conv['id']}/participants/{target['id']}",
        data="{not json", timeout=10,
        headers={"Authorization": "Bearer " + supervisor.client.access_token, "Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert resp.json().get("code") == "bad.request"
    assert header(resp.headers, "ININ-Correlation-Id")


def test_two_party_call_ends_for_both(emu, supervisor):
    conv, target = find_two_party_call(emu)
    other = next(p for p in live_parties(conv) if p["id"] != target["id"])
    drop(supervisor, conv["id"], target["id"])
    final = wait_for(
        lambda: (s := states(supervisor, conv["id"])) and s[other["id"]] in ENDED_STATES and s,
        what="the two-party call to end")
    assert final[target["id"]] == "disconnected"
    generic = supervisor.conversations.get_conversation(conv["id"])
    assert generic.end_time is not None, "the conversation gets endTime when it ends"
    call = supervisor.conversations.get_conversations_call(conv["id"])
    by_id = {p.id: p for p in call.participants}
    assert by_id[other["id"]].disconnect_type == "peer"
    for p in call.participants:
        if p.purpose == "acd":
            assert p.state == "terminated", f"ACD leg should be terminated at the end, is {p.state}"


def test_mute_and_hold_are_applied(emu, supervisor):
    conv, target = find_conference(emu)
    supervisor.conversations.patch_conversations_call_participant(
        conv["id"], target["id"], mk(gc.MediaParticipantRequest, muted=True, held=True))
    got = wait_for(
        lambda: next((p for p in supervisor.conversations.get_conversations_call(conv["id"]).participants
                      if p.id == target["id"] and p.muted and p.held), None),
        what="muted and held to apply")
    assert got.state == "connected"


def test_communication_patch_ends_one_calls_entry(emu, supervisor):
    found = None
    for conv in emu.truth():
        if not live_parties(conv):
            continue
        generic = supervisor.conversations.get_conversation(conv["id"])
        for p in generic.participants:
            live = [c for c in p.calls or [] if c.state not in ENDED_STATES]
            if live:
                found = (conv["id"], p.id, live[-1].id)
                break
        if found:
            break
    assert found, "no live communication in the demo scenario"
    cid, pid, comm = found
    with pytest.raises(ApiException) as err:
        supervisor.conversations.patch_conversations_call_participant_communication(
            cid, pid, comm, mk(gc.MediaParticipantRequest, state="connected"))
    assert_api_error(err.value, 400, "communication.state.required")
    supervisor.conversations.patch_conversations_call_participant_communication(
        cid, pid, comm, mk(gc.MediaParticipantRequest, state="disconnected"))
    assert supervisor.client.last_response.status in (200, 202)

    def comm_state():
        g = supervisor.conversations.get_conversation(cid)
        p = next(p for p in g.participants if p.id == pid)
        return next(c.state for c in p.calls if c.id == comm) in ENDED_STATES
    wait_for(comm_state, what="the communication to end")
