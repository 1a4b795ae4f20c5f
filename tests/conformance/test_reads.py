"""Reads through the SDK's generated methods, deserialised into the SDK's models."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harness import (
    AGENT1,
    DISCONNECT_PERMISSION,
    ENDED_STATES,
    ApiException,
    assert_api_error,
    find_conference,
    gc,
    live_parties,
    mk,
    new_uuid,
    queue_of,
)


def test_users_me_with_authorization_has_disconnect_permission(supervisor):
    me = supervisor.users.get_users_me(expand=["authorization"])
    assert isinstance(me, gc.UserMe)
    assert me.authorization is not None, "expand=authorization must add `authorization`"
    assert DISCONNECT_PERMISSION in (me.authorization.permissions or [])
    assert "conversation:communication:view" in me.authorization.permissions
    assert me.authorization.roles, "UserAuthorization.roles should name at least one role"


def test_users_me_without_expand_has_no_authorization(supervisor):
    me = supervisor.users.get_users_me()
    assert me.authorization is None
    assert me.id and me.email


def test_agent_lacks_disconnect_permission(agent):
    me = agent.users.get_users_me(expand=["authorization"])
    assert me.email == AGENT1
    assert me.authorization is not None
    assert "conversation:communication:view" in me.authorization.permissions
    assert DISCONNECT_PERMISSION not in me.authorization.permissions


def test_routing_queues_listing_and_paging(supervisor):
    page = supervisor.routing.get_routing_queues(page_size=100)
    assert isinstance(page, gc.QueueEntityListing)
    names = [q.name for q in page.entities]
    assert len(names) >= 3 and page.total == len(names)
    assert page.page_number == 1 and page.page_size == 100

    second = supervisor.routing.get_routing_queues(page_size=1, page_number=2)
    assert len(second.entities) == 1
    assert second.total == page.total
    assert second.page_count == page.total
    assert second.entities[0].id == page.entities[1].id, "paging must follow the same (name) order"

    default = supervisor.routing.get_routing_queues()
    assert default.page_size == 25, "pageSize defaults to 25"


def test_routing_queues_name_filter_is_case_insensitive_with_wildcards(supervisor):
    page = supervisor.routing.get_routing_queues(page_size=100)
    target = page.entities[0]
    exact = supervisor.routing.get_routing_queues(name=target.name)
    assert [q.id for q in exact.entities] == [target.id]

    prefix = target.name[:3].lower() + "*"
    by_prefix = supervisor.routing.get_routing_queues(name=prefix)
    expected = sorted(q.id for q in page.entities if q.name.lower().startswith(target.name[:3].lower()))
    assert sorted(q.id for q in by_prefix.entities) == expected and target.id in expected

    suffix = "*" + target.name[-3:].upper()
    by_suffix = supervisor.routing.get_routing_queues(name=suffix)
    assert target.id in [q.id for q in by_suffix.entities]

    none = supervisor.routing.get_routing_queues(name="no-such-queue-zzz")
    assert none.entities == [] and none.total == 0


def test_routing_queues_id_filter_as_the_sdk_sends_it(supervisor):
    """The SDK sends list query params comma-joined (`id=a,b`), not repeated."""
    page = supervisor.routing.get_routing_queues(page_size=100)
    wanted = [page.entities[0].id, page.entities[2].id]
    got = supervisor.routing.get_routing_queues(id=wanted)
    assert sorted(q.id for q in got.entities) == sorted(wanted)


def test_routing_queue_by_id_and_my_queues(supervisor):
    page = supervisor.routing.get_routing_queues(page_size=100)
    one = supervisor.routing.get_routing_queue(page.entities[0].id)
    assert one.id == page.entities[0].id and one.name == page.entities[0].name
    mine = supervisor.routing.get_routing_queues_me(page_size=100)
    assert sorted(q.id for q in mine.entities) == sorted(q.id for q in page.entities), \
        "the supervisor is a member of every demo queue"
    with pytest.raises(ApiException) as err:
        supervisor.routing.get_routing_queue(new_uuid())
    assert_api_error(err.value, 404, "not.found")


def _observations_query(queue_ids: list[str], media_type: str | None = None) -> "gc.QueueObservationQuery":
    """The shape of Genesys' own real-time queue observation tutorial: an `or` of queueId predicates."""
    preds = [mk(gc.QueueObservationQueryPredicate, type="dimension", dimension="queueId", operator="matches", value=q)
             for q in queue_ids]
    if media_type is None:
        flt = mk(gc.QueueObservationQueryFilter, type="or", predicates=preds)
    else:
        flt = mk(
            gc.QueueObservationQueryFilter,
            type="and",
            clauses=[mk(gc.QueueObservationQueryClause, type="or", predicates=preds)],
            predicates=[mk(gc.QueueObservationQueryPredicate, dimension="mediaType", value=media_type)],
        )
    return mk(gc.QueueObservationQuery, filter=flt, metrics=["oInteracting", "oWaiting", "oAlerting"],
              detail_metrics=["oInteracting"])


def _interacting(conv: dict) -> bool:
    """A live queue conversation with an agent on the line: what oInteracting observes."""
    return bool(queue_of(conv)) and any(
        p.get("purpose") == "agent" and p.get("state") == "connected" for p in conv.get("participants", []))


@pytest.mark.parametrize("media_type", [None, "voice"], ids=["queue-predicates", "with-mediaType-clause"])
def test_queue_observations_give_live_conversation_ids(emu, supervisor, media_type):
    queues = supervisor.routing.get_routing_queues(page_size=100).entities
    resp = supervisor.analytics.post_analytics_queues_observations_query(
        _observations_query([q.id for q in queues], media_type))
    assert isinstance(resp, gc.QueueObservationQueryResponse)
    assert resp.results, "one result group per queue (and media type) expected"

    truth = {c["id"]: c for c in emu.truth()}
    seen: set[str] = set()
    for group in resp.results:
        assert group.group.get("queueId") in {q.id for q in queues}, group.group
        metrics = {d.metric: d for d in group.data}
        assert "oInteracting" in metrics, f"oInteracting missing for {group.group}"
        interacting = metrics["oInteracting"]
        obs = interacting.observations or []
        assert interacting.stats is not None and interacting.stats.count == len(obs), \
            "oInteracting count must match its observations"
        for o in obs:
            assert o.conversation_id in truth, f"observation names unknown conversation {o.conversation_id}"
            conv = truth[o.conversation_id]
            assert live_parties(conv), "observation for an ended conversation"
            assert queue_of(conv) == group.group["queueId"]
            assert o.session_id and o.user_id and o.observation_date
            seen.add(o.conversation_id)
    expected = {cid for cid, c in truth.items() if live_parties(c) and _interacting(c)}
    assert expected, "demo scenario has no interacting queue conversations"
    assert seen == expected, f"missing {expected - seen}, unexpected {seen - expected}"


def _details_query(queue_id: str | None) -> "gc.ConversationQuery":
    now = datetime.now(timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    interval = f"{(now - timedelta(days=1)).strftime(fmt)}/{(now + timedelta(hours=1)).strftime(fmt)}"
    active = mk(gc.ConversationDetailQueryFilter, type="and", predicates=[
        mk(gc.ConversationDetailQueryPredicate, type="dimension", dimension="conversationEnd", operator="notExists")])
    query = mk(gc.ConversationQuery, interval=interval, conversation_filters=[active], order="asc",
               order_by="conversationStart", paging=mk(gc.PagingSpec, page_size=100, page_number=1))
    if queue_id:
        query.segment_filters = [mk(gc.SegmentDetailQueryFilter, type="and", predicates=[
            mk(gc.SegmentDetailQueryPredicate, type="dimension", dimension="queueId", operator="matches", value=queue_id)])]
    return query


def test_conversation_details_query_finds_active_queue_conversations(emu, supervisor):
    truth = emu.truth()
    qid = next(queue_of(c) for c in truth if live_parties(c) and queue_of(c))
    resp = supervisor.analytics.post_analytics_conversations_details_query(_details_query(qid))
    assert isinstance(resp, gc.AnalyticsConversationQueryResponse)
    got = sorted(c.conversation_id for c in resp.conversations or [])
    expected = sorted(c["id"] for c in truth if live_parties(c) and queue_of(c) == qid)
    assert got == expected, f"missing {set(expected) - set(got)}, unexpected {set(got) - set(expected)}"
    assert resp.total_hits == len(expected)
    for c in resp.conversations:
        assert c.conversation_end is None and c.conversation_start is not None
        assert c.participants and all(p.sessions for p in c.participants)


def test_conversation_details_query_requires_interval(supervisor):
    query = _details_query(None)
    query.interval = None
    with pytest.raises(ApiException) as err:
        supervisor.analytics.post_analytics_conversations_details_query(query)
    assert_api_error(err.value, 400, ("bad.request", "invalid.value", "missing.interval"))


def test_call_conversation_matches_truth(emu, supervisor):
    conv, _ = find_conference(emu)
    call = supervisor.conversations.get_conversations_call(conv["id"])
    assert isinstance(call, gc.CallConversation)
    assert call.id == conv["id"]
    assert [p.id for p in call.participants] == [p["id"] for p in conv["participants"]]
    for sdk_p, true_p in zip(call.participants, conv["participants"], strict=True):
        assert sdk_p.state == true_p["state"]
        assert sdk_p.purpose == true_p["purpose"]
    connected = [p for p in call.participants if p.state == "connected" and p.purpose != "acd"]
    assert len(connected) >= 3


def test_generic_conversation_has_calls_per_participant(emu, supervisor):
    conv, _ = find_conference(emu)
    generic = supervisor.conversations.get_conversation(conv["id"])
    assert isinstance(generic, gc.Conversation)
    raw = supervisor.last_json()
    assert generic.end_time is None, "a live conversation has no endTime"
    assert len(generic.participants) == len(conv["participants"])
    for p_raw, p in zip(raw["participants"], generic.participants, strict=True):
        assert "state" not in p_raw, "generic Participant has no top-level state (it lives in calls[])"
        assert p.calls, f"participant {p.id} has no calls[]"
        for c in p.calls:
            assert c.id and c.state
    flat = {p["id"]: p["state"] for p in conv["participants"]}
    for p in generic.participants:
        live = [c for c in p.calls if c.state not in ENDED_STATES]
        if flat[p.id] == "connected":
            assert live and live[-1].state == "connected", \
                f"{p.id}: flat state connected but calls[] {[c.state for c in p.calls]}"
        else:
            assert not live, f"{p.id}: flat state {flat[p.id]} but live calls[] entries"


def test_demo_scenario_has_the_traps_the_app_must_handle(emu, supervisor):
    """Stale duplicate leg, ACD legs left disconnected, two calls[] entries, muted and held parties."""
    stale_dup = acd_disconnected = two_calls = muted = held = False
    for conv in emu.truth():
        if not live_parties(conv):
            continue
        call = supervisor.conversations.get_conversations_call(conv["id"])
        generic = supervisor.conversations.get_conversation(conv["id"])
        by_user: dict[str, list[str]] = {}
        for p in call.participants:
            if p.user is not None:
                by_user.setdefault(p.user.id, []).append(p.state)
            if p.purpose == "acd" and p.state == "disconnected":
                acd_disconnected = True
            muted |= bool(p.muted) and p.state == "connected"
            held |= bool(p.held) and p.state == "connected"
        stale_dup |= any("terminated" in s and "connected" in s for s in by_user.values())
        two_calls |= any(len(p.calls or []) >= 2 for p in generic.participants)
    assert stale_dup, "no user present twice (old leg terminated, new leg connected)"
    assert acd_disconnected, "no ACD participant left `disconnected`"
    assert two_calls, "no participant with two calls[] entries"
    assert muted and held, f"muted={muted} held={held}"


def test_my_calls_lists_only_the_token_users_conversations(emu, agent):
    me = agent.users.get_users_me()
    listing = agent.conversations.get_conversations_calls()
    assert isinstance(listing, gc.CallConversationEntityListing)
    expected = sorted(
        c["id"] for c in emu.truth()
        if live_parties(c) and any((p.get("user") or {}).get("id") == me.id and p.get("state") == "connected"
                                   for p in c["participants"])
    )
    assert sorted(c.id for c in listing.entities) == expected


def test_unknown_conversation_is_404(supervisor):
    with pytest.raises(ApiException) as err:
        supervisor.conversations.get_conversations_call(new_uuid())
    assert_api_error(err.value, 404, "conversation.error.conversation.not.found")
    with pytest.raises(ApiException) as err:
        supervisor.conversations.get_conversation(new_uuid())
    assert_api_error(err.value, 404, ("conversation.error.conversation.not.found", "not.found"))
