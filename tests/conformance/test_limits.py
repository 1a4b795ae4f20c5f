"""429 and 5xx as the SDK meets them: its transport honours Retry-After; without retries it raises ApiException."""

from __future__ import annotations

import time

import pytest
import urllib3

from harness import (
    SDK_TIMEOUT,
    STANDARD_ARGS,
    ApiException,
    Emu,
    EmulatorProcess,
    assert_api_error,
    header,
    sign_in_pkce,
)


def without_retries(sdk):
    """The SDK's urllib3 pool retries 429/503 that carry Retry-After (up to 10 times); turn that off so
    the first refusal surfaces as ApiException, as a caller with its own retry layer would see it."""
    rest = sdk.client.get_http_client().rest_client
    rest.pool_manager = urllib3.PoolManager(retries=False, num_pools=4, maxsize=4, timeout=SDK_TIMEOUT)
    return sdk


def assert_rate_limit_headers(headers) -> None:
    for name in ("inin-ratelimit-allowed", "inin-ratelimit-count", "inin-ratelimit-reset"):
        value = header(headers, name)
        assert value is not None and value.strip().isdigit(), f"{name}: {value!r}"


def test_rate_limit_fault_surfaces_as_api_exception_429(emu, supervisor):
    without_retries(supervisor)
    supervisor.users.get_users_me()
    emu.add_fault("rate_limit", count=1, retryAfter=2)
    with pytest.raises(ApiException) as err:
        supervisor.users.get_users_me()
    assert_api_error(err.value, 429, "too.many.requests")
    retry_after = header(err.value.headers, "Retry-After")
    assert retry_after is not None and retry_after.isdigit(), f"Retry-After must be integer seconds: {retry_after!r}"
    assert int(retry_after) == 2
    assert supervisor.users.get_users_me().id, "count=1: the next request passes"


def test_sdk_transport_honours_retry_after(emu, supervisor):
    """With its default transport the SDK sleeps Retry-After and retries: the caller sees success."""
    supervisor.users.get_users_me()
    emu.add_fault("rate_limit", count=1, retryAfter=1)
    t0 = time.monotonic()
    me = supervisor.users.get_users_me()
    elapsed = time.monotonic() - t0
    assert me.id
    assert elapsed >= 0.9, f"the SDK retried without waiting Retry-After ({elapsed:.2f}s)"
    statuses = [r.get("status") for r in emu.request_log() if r.get("path") == "/api/v2/users/me"]
    assert statuses[-2:] == [429, 200], statuses


def test_server_error_fault_surfaces(emu, supervisor):
    without_retries(supervisor)
    emu.add_fault("server_error", status=503, count=1)
    with pytest.raises(ApiException) as err:
        supervisor.users.get_users_me()
    assert_api_error(err.value, 503, ("service.unavailable", "internal.server.error"))
    assert supervisor.users.get_users_me().id


def test_headers_on_success_and_error(emu, supervisor):
    supervisor.users.get_users_me()
    headers = supervisor.client.last_response.getheaders()
    assert header(headers, "ININ-Correlation-Id")
    assert_rate_limit_headers(headers)
    with pytest.raises(ApiException) as err:
        supervisor.conversations.get_conversations_call("00000000-0000-0000-0000-000000000000")
    assert_rate_limit_headers(err.value.headers)
    body = assert_api_error(err.value, 404, "conversation.error.conversation.not.found")
    for key in ("messageWithParams", "messageParams", "contextId", "details", "errors"):
        assert key in body, f"ErrorBody lacks {key}: {body}"
    assert body["contextId"] == header(err.value.headers, "ININ-Correlation-Id"), \
        "contract: contextId equals the ININ-Correlation-Id header"


@pytest.fixture(scope="module")
def tight_emulator():
    """A second emulator with a per-token limit of 3 requests a minute."""
    proc = EmulatorProcess(args=[*STANDARD_ARGS, "--rate-limit", "3"])
    try:
        proc.start()
        yield Emu(proc.base_url, proc.port)
    finally:
        proc.stop()


def test_per_token_rate_limit(tight_emulator):
    sdk = without_retries(sign_in_pkce(tight_emulator))
    allowed = 0
    with pytest.raises(ApiException) as err:
        for _ in range(10):
            sdk.users.get_users_me()
            allowed += 1
    assert allowed == 3, f"{allowed} requests passed before the 429 (limit 3)"
    body = assert_api_error(err.value, 429, "too.many.requests")
    assert body["message"] == "Rate limit exceeded the maximum [3] requests within [60] seconds", body["message"]
    retry_after = header(err.value.headers, "Retry-After")
    assert retry_after and retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after
    assert header(err.value.headers, "inin-ratelimit-allowed") == "3"
    # The limit is per token: another sign-in has its own budget.
    other = without_retries(sign_in_pkce(tight_emulator))
    assert other.users.get_users_me().id


def test_sigterm_after_serving_exits_cleanly(emu):
    proc = EmulatorProcess().start()
    try:
        Emu(proc.base_url, proc.port).users()  # it serves
        code = proc.exited_cleanly_on_sigterm()
    finally:
        proc.stop()
    assert code == 0, f"exit code after SIGTERM: {code} (a clean shutdown exits 0)"


def test_sigterm_right_after_the_listening_line_exits_cleanly():
    """A supervisor may stop the emulator as soon as it has read the first line. The SIGTERM handler
    must already be installed then; otherwise the default action kills the process (-15)."""
    codes = []
    for _ in range(20):
        proc = EmulatorProcess().start()
        try:
            codes.append(proc.exited_cleanly_on_sigterm())
        finally:
            proc.stop()
    assert all(c == 0 for c in codes), f"exit codes of 20 immediate SIGTERMs: {codes}"
