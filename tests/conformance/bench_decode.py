"""Events decoded per second by the official Python SDK, on the event the Rust decode bench uses.

The Rust bench (crates/genesys-model/benches/decode.rs, `full_event_4party`) decodes one queue
conference event (tests/fixtures/event_queue_conference_4party.json, compacted as serde_json writes
it: sorted keys, no spaces) from socket text to a typed conversation, then counts the live legs. This
does the same with purecloudplatformclientv2: json.loads of the frame, the SDK's own deserialiser
(`ApiClient.__deserialize`) into QueueConversationCallEventTopicCallConversation (the model the SDK's
notification map names for `v2.routing.queues.{id}.conversations.calls`), then the live-leg count.

Run inside the conformance virtualenv (tests/conformance/run.sh creates it):
    tests/conformance/.venv/bin/python tests/conformance/bench_decode.py [--seconds S | --events N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
from importlib.metadata import version
import sys
import time
from pathlib import Path

from harness import gc  # the SDK, imported with a private HOME so its config watcher stays idle

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "crates/genesys-model/tests/fixtures/event_queue_conference_4party.json"
MODEL = "QueueConversationCallEventTopicCallConversation"
# ParticipantState::is_active in genesys-model: the states the Rust bench's live_count accepts.
LIVE = {"alerting", "dialing", "contacting", "offering", "connected", "parked", "converting", "uploading",
        "transmitting"}
BATCH = 50


def compact_event() -> str:
    """The frame exactly as the Rust bench builds it: serde_json::Value (sorted keys) to compact text."""
    value = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seconds", type=float, default=5.0, help="measurement time (default 5, as criterion)")
    group.add_argument("--events", type=int, help="decode exactly this many events instead")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds (default 1)")
    args = parser.parse_args()

    frame = compact_event()
    client = gc.ApiClient(host="http://127.0.0.1:1")  # never connects; only its deserialiser is used
    deserialize = client._ApiClient__deserialize  # the SDK's own code path for typed responses

    def decode(text: str) -> int:
        envelope = json.loads(text)
        if not envelope["topicName"].endswith(".conversations.calls"):
            raise ValueError("not a calls topic")
        conversation = deserialize(envelope["eventBody"], MODEL)
        return sum(1 for p in conversation.participants or () if p.state in LIVE)

    # The model is really built, with what the Rust bench sees: six legs, four of them live.
    check = deserialize(json.loads(frame)["eventBody"], MODEL)
    assert type(check).__name__ == MODEL, type(check)
    assert len(check.participants) == 6 and decode(frame) == 4, "fixture changed: update the bench"
    assert check.participants[1].connected_time is not None, "dates are parsed"

    print(f"event: {len(frame)} bytes, sha256 {hashlib.sha256(frame.encode()).hexdigest()[:16]}, "
          f"SDK purecloudplatformclientv2 {version('purecloudplatformclientv2')}, Python {sys.version.split()[0]}")

    end = time.perf_counter() + args.warmup
    while time.perf_counter() < end:
        decode(frame)

    rates: list[float] = []
    done = 0
    started = time.perf_counter()
    while (done < args.events) if args.events else (time.perf_counter() - started < args.seconds):
        n = min(BATCH, args.events - done) if args.events else BATCH
        t0 = time.perf_counter()
        for _ in range(n):
            decode(frame)
        rates.append(n / (time.perf_counter() - t0))
        done += n
    elapsed = time.perf_counter() - started
    print(f"decoded {done} events in {elapsed:.2f} s: {done / elapsed:,.0f} events/s overall, "
          f"median batch {statistics.median(rates):,.0f} events/s "
          f"(batches of {BATCH}: min {min(rates):,.0f}, max {max(rates):,.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
