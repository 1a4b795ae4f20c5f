"""Harness for the conformance suite: the emulator process, sign-in through the official SDK, and checks.

The official Genesys Python SDK (purecloudplatformclientv2) is the client under test, so everything a
test asserts goes through the SDK's own request building and model deserialisation. Plain `requests`
is used only where the SDK has no method (the browser-side /oauth/authorize step, raw bodies the SDK
would refuse to build, paths that do not exist) and for the emulator's control plane.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3

# The SDK's Configuration singleton reads ~/.genesyscloudpython/config and starts a watchdog observer on
# that folder, or on the nearest existing parent (the whole home folder, recursively). Point it at a
# private, empty home so the suite is hermetic and does not watch the developer's files.
_SDK_HOME = tempfile.mkdtemp(prefix="bk-conformance-sdk-home-")
os.makedirs(os.path.join(_SDK_HOME, ".genesyscloudpython"), exist_ok=True)
atexit.register(shutil.rmtree, _SDK_HOME, True)
_saved_home = os.environ.get("HOME")
os.environ["HOME"] = _SDK_HOME
try:
    import PureCloudPlatformClientV2 as gc  # noqa: E402
    from PureCloudPlatformClientV2.rest import ApiException  # noqa: E402
finally:
    if _saved_home is None:
        del os.environ["HOME"]
    else:
        os.environ["HOME"] = _saved_home

__all__ = ["gc", "ApiException"]

REPO_ROOT = Path(__file__).resolve().parents[2]

# Demo-scenario constants from the emulator contract (EMULATOR-SPEC.md, "Demo scenario").
PUBLIC_CLIENT = "bridgekeeper-desktop"
REDIRECT_URI = "http://localhost:8765/oauth/callback"
REDIRECT_URI_LOOPBACK = "http://127.0.0.1:8765/oauth/callback"
CONFIDENTIAL_CLIENT = "demo-confidential"
SERVICE_CLIENT = "demo-service"
DEMO_SECRET = "demo-secret"
SUPERVISOR = "supervisor@demo.example"
AGENT1 = "agent1@demo.example"
OBSERVER = "observer@demo.example"
DISCONNECT_PERMISSION = "conversation:communication:disconnect"

# States in which a call leg is still on the line (API-FACTS §1.7); anything else is gone.
ENDED_STATES = {"disconnected", "terminated"}

LISTEN_LINE = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+))\s*$")
STANDARD_ARGS = [
    "--listen", "127.0.0.1:0",
    "--scenario", "demo",
    "--seed", "7",
    "--patch-delay-ms", "50",
    "--heartbeat-secs", "1",
]
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
HTTP_TIMEOUT_S = 10.0


# --------------------------------------------------------------------------------------------------
# The emulator process
# --------------------------------------------------------------------------------------------------

def emulator_binary() -> Path:
    """The binary run.sh built or was given; a missing one is a setup error, not a test failure."""
    explicit = os.environ.get("EMULATOR_BIN")
    if explicit:
        return Path(explicit)
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO_ROOT / "target")
    return Path(target) / "debug" / "genesys-emulator"


class EmulatorProcess:
    """One genesys-emulator child process; always stopped, with bounded waits."""

    def __init__(self, extra_args: list[str] | None = None, args: list[str] | None = None):
        self.args = list(args if args is not None else STANDARD_ARGS) + list(extra_args or [])
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.port = 0
        self._stderr = tempfile.TemporaryFile()
        self._stdout_rest: list[str] = []

    def start(self) -> "EmulatorProcess":
        binary = emulator_binary()
        if not binary.is_file():
            raise RuntimeError(
                f"emulator binary not found at {binary}: run tests/conformance/run.sh "
                "(it builds it) or set EMULATOR_BIN"
            )
        self.proc = subprocess.Popen(
            [str(binary), *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")},
        )
        first_line: list[bytes] = []
        got_line = threading.Event()

        def read_stdout() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            line = self.proc.stdout.readline()
            first_line.append(line)
            got_line.set()
            # Keep draining so a chatty emulator can never block on a full pipe.
            for rest in self.proc.stdout:
                if len(self._stdout_rest) < 1000:
                    self._stdout_rest.append(rest.decode("utf-8", "replace"))

        threading.Thread(target=read_stdout, name="emulator-stdout", daemon=True).start()
        if not got_line.wait(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(
                f"emulator printed no first line within {START_TIMEOUT_S}s; stderr:\n{self.stderr_tail()}"
            )
        line = first_line[0].decode("utf-8", "replace")
        match = LISTEN_LINE.match(line)
        if not match:
            self.stop()
            raise RuntimeError(
                "emulator's first stdout line is not `listening on http://127.0.0.1:PORT`: "
                f"{line!r}; stderr:\n{self.stderr_tail()}"
            )
        self.base_url = match.group(1)
        self.port = int(match.group(2))
        return self

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        self.proc = None

    def exited_cleanly_on_sigterm(self) -> int | None:
        """Stops the process with SIGTERM and returns its exit code (None if it had to be killed)."""
        proc = self.proc
        assert proc is not None
        proc.terminate()
        try:
            code = proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)
            code = None
        self.proc = None
        return code

    def stderr_tail(self, lines: int = 40) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------
# Control plane and truth (emulator-only endpoints under /_emulator/)
# --------------------------------------------------------------------------------------------------

def entities(payload: Any) -> list[dict]:
    """Control-plane listings may be a bare array or an {entities:[...]} page; accept both."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in ("entities", "conversations", "users", "queues", "faults", "requests", "items"):
            if isinstance(payload.get(key), list):
                return payload[key]
    raise AssertionError(f"control plane listing has an unexpected shape: {str(payload)[:300]}")


@dataclass
class Emu:
    """The running emulator as a test sees it: base URL plus control-plane helpers."""

    base_url: str
    port: int
    http: requests.Session = field(default_factory=requests.Session)

    def ctl(self, method: str, path: str, body: Any = None,
            expect: int | tuple[int, ...] | None = (200, 201, 202, 204)) -> requests.Response:
        resp = self.http.request(method, self.base_url + path, json=body, timeout=HTTP_TIMEOUT_S)
        if expect is not None:
            ok = (expect,) if isinstance(expect, int) else expect
            assert resp.status_code in ok, f"{method} {path} -> {resp.status_code}: {resp.text[:500]}"
        return resp

    def reset(self) -> None:
        self.ctl("POST", "/_emulator/reset")
        self.ctl("DELETE", "/_emulator/faults")

    def add_fault(self, kind: str, **params: Any) -> dict:
        resp = self.ctl("POST", "/_emulator/faults", {"kind": kind, **params})
        return resp.json() if resp.content else {}

    def truth(self) -> list[dict]:
        return entities(self.ctl("GET", "/_emulator/conversations").json())

    def truth_conversation(self, conversation_id: str) -> dict:
        for conv in self.truth():
            if conv.get("id") == conversation_id:
                return conv
        raise AssertionError(f"conversation {conversation_id} not in /_emulator/conversations")

    def users(self) -> list[dict]:
        return entities(self.ctl("GET", "/_emulator/users").json())

    def queues(self) -> list[dict]:
        return entities(self.ctl("GET", "/_emulator/queues").json())

    def user_id(self, email: str) -> str:
        for user in self.users():
            if str(user.get("email", "")).lower() == email.lower():
                return user["id"]
        raise AssertionError(f"no user {email} in /_emulator/users")

    def request_log(self) -> list[dict]:
        return entities(self.ctl("GET", "/_emulator/requests").json())


# --------------------------------------------------------------------------------------------------
# Picking targets in the truth snapshot (CallConversation shape: flat participants)
# --------------------------------------------------------------------------------------------------

def is_live(p: dict) -> bool:
    return p.get("state") == "connected"


def live_parties(conv: dict) -> list[dict]:
    """Connected, non-ACD participants: the people actually on the line."""
    return [p for p in conv.get("participants", []) if p.get("purpose") != "acd" and is_live(p)]


def queue_of(conv: dict) -> str | None:
    for p in conv.get("participants", []):
        q = p.get("queue")
        if isinstance(q, dict) and q.get("id"):
            if p.get("purpose") == "acd":
                return q["id"]
    for p in conv.get("participants", []):
        q = p.get("queue")
        if isinstance(q, dict) and q.get("id"):
            return q["id"]
    return None


def user_of(p: dict) -> str | None:
    u = p.get("user")
    return u.get("id") if isinstance(u, dict) else None


def find_conference(emu: Emu, min_live: int = 3, exclude_user: str | None = None) -> tuple[dict, dict]:
    """A live conference (>= min_live connected parties, on a queue) and one party on it to drop."""
    for conv in emu.truth():
        parties = live_parties(conv)
        if len(parties) < min_live or queue_of(conv) is None:
            continue
        if exclude_user and any(user_of(p) == exclude_user for p in conv.get("participants", [])):
            continue
        # Drop a non-customer party that is neither muted nor held, so the other parties stay put.
        candidates = [p for p in parties if p.get("purpose") != "customer" and not p.get("held")] or parties
        return conv, candidates[-1]
    raise AssertionError(f"demo scenario has no live conference with >= {min_live} connected parties")


def find_two_party_call(emu: Emu) -> tuple[dict, dict]:
    for conv in emu.truth():
        parties = live_parties(conv)
        if len(parties) == 2 and queue_of(conv) is not None:
            agent = next((p for p in parties if p.get("purpose") != "customer"), parties[0])
            return conv, agent
    raise AssertionError("demo scenario has no live two-party call")


def find_ended_leg(emu: Emu) -> tuple[dict, dict]:
    """An already ended leg in a conversation that is still live (ACD leg or stale duplicate)."""
    for conv in emu.truth():
        if not live_parties(conv):
            continue
        for p in conv.get("participants", []):
            if p.get("state") in ENDED_STATES:
                return conv, p
    raise AssertionError("demo scenario has no ended leg inside a live conversation")


# --------------------------------------------------------------------------------------------------
# Sign-in through the SDK
# --------------------------------------------------------------------------------------------------

def mk(cls: type, **attrs: Any) -> Any:
    """Builds an SDK model: its constructors take no arguments; the property setters validate enums."""
    obj = cls()
    for name, value in attrs.items():
        setattr(obj, name, value)
    return obj


def new_verifier() -> str:
    """43..128 chars of [A-Za-z0-9-._~], as the SDK's own generate_pkce_code_verifier makes them."""
    return gc.ApiClient(host="http://127.0.0.1:1").generate_pkce_code_verifier(64)


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode("ascii").rstrip("=")


@dataclass
class Authorized:
    """What the browser step of a code flow yields."""

    status: int
    location: str
    query: dict[str, str]
    body: str


def authorize(emu: Emu, *, client_id: str = PUBLIC_CLIENT, redirect_uri: str = REDIRECT_URI,
              login_hint: str | None = SUPERVISOR, verifier: str | None = None, state: str | None = None,
              extra: dict[str, str] | None = None, pkce: bool = True) -> Authorized:
    """GET /oauth/authorize like a browser, without following the redirect."""
    params = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
              "state": state or secrets.token_urlsafe(12)}
    if pkce:
        params["code_challenge"] = challenge_of(verifier or new_verifier())
        params["code_challenge_method"] = "S256"
    if login_hint is not None:
        params["login_hint"] = login_hint
    params.update(extra or {})
    resp = requests.get(emu.base_url + "/oauth/authorize", params=params, allow_redirects=False, timeout=HTTP_TIMEOUT_S)
    location = resp.headers.get("Location", "")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()} if location else {}
    return Authorized(resp.status_code, location, query, resp.text)


class Sdk:
    """An SDK ApiClient with a token, and the API objects the suite uses."""

    def __init__(self, client: "gc.ApiClient", token_response: dict | None = None):
        self.client = client
        self.token_response = token_response or {}
        self.users = gc.UsersApi(client)
        self.routing = gc.RoutingApi(client)
        self.analytics = gc.AnalyticsApi(client)
        self.conversations = gc.ConversationsApi(client)
        self.notifications = gc.NotificationsApi(client)
        self.tokens = gc.TokensApi(client)

    def raw(self, method: str, path: str, body: Any = None, response_type: str | None = None) -> Any:
        """A request through the SDK's own transport for bodies or paths the generated methods cannot express."""
        return self.client.call_api(
            path, method, {}, {}, {"Accept": "application/json", "Content-Type": "application/json"},
            body=body, post_params=[], files={}, response_type=response_type,
            auth_settings=["PureCloud OAuth"], callback=None,
        )

    def last_json(self) -> Any:
        """The raw JSON of the last response the SDK deserialised (to check it against the SDK models)."""
        return json.loads(self.client.last_response.data)


SDK_TIMEOUT = urllib3.Timeout(connect=5.0, read=20.0)


def bound_timeouts(client: "gc.ApiClient") -> None:
    """The SDK computes a timeout but never hands it to urllib3; bound every request so no test can hang."""
    client.get_http_client().rest_client.pool_manager.connection_pool_kw["timeout"] = SDK_TIMEOUT


def new_api_client(emu: Emu) -> "gc.ApiClient":
    # The task's documented way: point the SDK's default host at the emulator. The login host is derived
    # by rewriting `//api.` to `//login.`, which leaves http://127.0.0.1:PORT unchanged (one origin).
    gc.configuration.host = emu.base_url
    client = gc.ApiClient()
    bound_timeouts(client)
    assert client.host == emu.base_url
    assert client.get_conf_url("login", client.host) == emu.base_url
    return client


def sign_in_pkce(emu: Emu, email: str = SUPERVISOR) -> Sdk:
    verifier = new_verifier()
    auth = authorize(emu, login_hint=email, verifier=verifier)
    assert auth.status in (302, 303), f"authorize for {email} did not redirect: {auth.status} {auth.body[:300]}"
    assert "code" in auth.query, f"authorize redirect has no code: {auth.location}"
    client = new_api_client(emu)
    client, data = client.get_pkce_token(PUBLIC_CLIENT, verifier, auth.query["code"], REDIRECT_URI)
    return Sdk(client, data)


def sign_in_service(emu: Emu) -> Sdk:
    client = new_api_client(emu).get_client_credentials_token(SERVICE_CLIENT, DEMO_SECRET)
    return Sdk(client)


# --------------------------------------------------------------------------------------------------
# Errors, polling
# --------------------------------------------------------------------------------------------------

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    for k, v in dict(headers).items():
        if k.lower() == name.lower():
            return v
    return None


def error_body(exc: ApiException) -> dict:
    try:
        body = json.loads(exc.body or "")
    except ValueError as err:
        raise AssertionError(f"HTTP {exc.status} error body is not JSON: {exc.body!r}") from err
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    return body


def assert_api_error(exc: ApiException, status: int | tuple[int, ...], code: str | tuple[str, ...]) -> dict:
    """An SDK-surfaced refusal: status, vendor error code in the body, correlation id header."""
    statuses = (status,) if isinstance(status, int) else status
    codes = (code,) if isinstance(code, str) else code
    body = error_body(exc)
    assert exc.status in statuses, f"expected HTTP {statuses}, got {exc.status}: {exc.body}"
    assert body.get("code") in codes, f"expected code {codes}, got {body.get('code')!r}: {exc.body}"
    assert body.get("status") == exc.status, f"body status {body.get('status')!r} != HTTP {exc.status}"
    assert isinstance(body.get("message"), str) and body["message"], f"error body has no message: {exc.body}"
    corr = header(exc.headers, "ININ-Correlation-Id")
    assert corr and UUID_RE.match(corr), f"ININ-Correlation-Id missing or not a uuid: {corr!r}"
    return body


def wait_for(probe: Callable[[], Any], *, timeout: float = 5.0, interval: float = 0.05, what: str = "condition") -> Any:
    """Polls probe() until it returns a truthy value; fails with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


def call_state(conv: Any, participant_id: str) -> str | None:
    """State of one participant in an SDK CallConversation (flat participants)."""
    for p in conv.participants or []:
        if p.id == participant_id:
            return p.state
    raise AssertionError(f"participant {participant_id} missing from conversation {conv.id}")


def new_uuid() -> str:
    return str(uuid.uuid4())
