"""Sign-in: the SDK's own token calls (PKCE, client credentials, code + refresh) against the login endpoints."""

from __future__ import annotations

import json

import pytest
import requests

from harness import (
    AGENT1,
    CONFIDENTIAL_CLIENT,
    DEMO_SECRET,
    PUBLIC_CLIENT,
    REDIRECT_URI,
    REDIRECT_URI_LOOPBACK,
    SERVICE_CLIENT,
    SUPERVISOR,
    ApiException,
    Sdk,
    assert_api_error,
    authorize,
    error_body,
    header,
    new_api_client,
    new_verifier,
    sign_in_pkce,
)
from sdkcheck import assert_conforms


def oauth_error(exc: ApiException) -> dict:
    body = error_body(exc)
    assert isinstance(body.get("error"), str), f"OAuth error body has no `error`: {exc.body}"
    return body


def test_pkce_sign_in_with_the_sdk(emu):
    verifier = new_verifier()
    auth = authorize(emu, login_hint=SUPERVISOR, verifier=verifier, state="st-123")
    assert auth.status in (302, 303), f"authorize: {auth.status} {auth.body[:200]}"
    assert auth.location.startswith(REDIRECT_URI + "?"), auth.location
    assert auth.query.get("state") == "st-123"
    assert auth.query.get("code")

    client = new_api_client(emu)
    client, data = client.get_pkce_token(PUBLIC_CLIENT, verifier, auth.query["code"], REDIRECT_URI)
    assert client.access_token == data["access_token"] and data["access_token"]
    assert str(data.get("token_type", "")).lower() == "bearer"
    assert isinstance(data.get("expires_in"), int) and data["expires_in"] > 0

    me = Sdk(client).users.get_users_me()
    assert me.email == SUPERVISOR
    assert me.name == "Sam Supervisor"


def test_pkce_loopback_ip_redirect_is_registered_too(emu):
    verifier = new_verifier()
    auth = authorize(emu, redirect_uri=REDIRECT_URI_LOOPBACK, verifier=verifier)
    assert auth.status in (302, 303) and auth.location.startswith(REDIRECT_URI_LOOPBACK + "?"), auth.location
    client, _ = new_api_client(emu).get_pkce_token(PUBLIC_CLIENT, verifier, auth.query["code"], REDIRECT_URI_LOOPBACK)
    assert Sdk(client).users.get_users_me().email == SUPERVISOR


def test_pkce_wrong_verifier_is_refused(emu):
    auth = authorize(emu, verifier=new_verifier())
    assert "code" in auth.query, auth.location
    with pytest.raises(ApiException) as err:
        new_api_client(emu).get_pkce_token(PUBLIC_CLIENT, new_verifier(), auth.query["code"], REDIRECT_URI)
    assert err.value.status in (400, 401)
    assert oauth_error(err.value)["error"] == "invalid_grant"


def test_pkce_code_is_single_use(emu):
    verifier = new_verifier()
    auth = authorize(emu, verifier=verifier)
    new_api_client(emu).get_pkce_token(PUBLIC_CLIENT, verifier, auth.query["code"], REDIRECT_URI)
    with pytest.raises(ApiException) as err:
        new_api_client(emu).get_pkce_token(PUBLIC_CLIENT, verifier, auth.query["code"], REDIRECT_URI)
    assert err.value.status == 400
    assert oauth_error(err.value)["error"] == "invalid_grant"


def test_authorize_with_unregistered_redirect_does_not_redirect(emu):
    auth = authorize(emu, redirect_uri="http://localhost:9999/evil")
    assert auth.status == 400, f"expected a 400 page, got {auth.status} Location={auth.location!r}"
    assert not auth.location


def test_authorize_without_pkce_for_public_client_redirects_with_error(emu):
    auth = authorize(emu, pkce=False, state="s-9")
    assert auth.status in (302, 303), auth.status
    assert auth.location.startswith(REDIRECT_URI), auth.location
    assert auth.query.get("error") and auth.query.get("state") == "s-9"
    assert "code" not in auth.query


def test_client_credentials_token_is_not_a_user(emu):
    client = new_api_client(emu).get_client_credentials_token(SERVICE_CLIENT, DEMO_SECRET)
    assert client.access_token
    with pytest.raises(ApiException) as err:
        Sdk(client).users.get_users_me()
    assert_api_error(err.value, 400, "not.a.user")


def test_client_credentials_wrong_secret_is_refused(emu):
    with pytest.raises(ApiException) as err:
        new_api_client(emu).get_client_credentials_token(SERVICE_CLIENT, "not-the-secret")
    assert err.value.status == 401
    assert oauth_error(err.value)["error"] == "invalid_client"


def _confidential_sign_in(emu) -> tuple[Sdk, dict]:
    auth = authorize(emu, client_id=CONFIDENTIAL_CLIENT, pkce=False, login_hint=SUPERVISOR)
    assert auth.status in (302, 303) and "code" in auth.query, f"{auth.status} {auth.location} {auth.body[:200]}"
    client, data = new_api_client(emu).get_code_authorization_token(
        CONFIDENTIAL_CLIENT, DEMO_SECRET, auth.query["code"], REDIRECT_URI)
    return Sdk(client), data


def test_code_grant_with_secret_returns_refresh_token_and_refresh_works(emu):
    sdk, data = _confidential_sign_in(emu)
    assert data.get("refresh_token"), "code grant must return a refresh_token (the SDK reads it)"
    first = sdk.client.access_token
    client, refreshed = sdk.client.refresh_code_authorization_token(CONFIDENTIAL_CLIENT, DEMO_SECRET, data["refresh_token"])
    assert refreshed["access_token"] and refreshed["access_token"] != first
    assert refreshed.get("refresh_token"), "the SDK reads refresh_token from a refresh response (KeyError otherwise)"
    assert Sdk(client).users.get_users_me().email == SUPERVISOR


def test_sdk_refreshes_transparently_after_token_expiry(emu):
    sdk, _ = _confidential_sign_in(emu)
    me = sdk.users.get_users_me()
    emu.add_fault("expire_tokens", userId=me.id)
    old = sdk.client.access_token
    # The SDK sees 401, runs the refresh grant with the stored client secret, and retries.
    again = sdk.users.get_users_me()
    assert again.id == me.id
    assert sdk.client.access_token != old


def test_revoked_token_is_refused_with_bad_credentials(emu):
    sdk = sign_in_pkce(emu, AGENT1)
    sdk.tokens.head_tokens_me()
    sdk.tokens.delete_tokens_me()
    with pytest.raises(ApiException) as err:
        sdk.users.get_users_me()
    assert_api_error(err.value, 401, "bad.credentials")
    with pytest.raises(ApiException) as err:
        sdk.tokens.head_tokens_me()
    assert err.value.status == 401


def test_missing_token_is_authentication_required(emu):
    resp = requests.get(emu.base_url + "/api/v2/users/me", timeout=10)
    assert resp.status_code == 401
    assert resp.json().get("code") == "authentication.required"
    assert header(resp.headers, "ININ-Correlation-Id")
    # The SDK without a token sends "Authorization: Bearer " (empty); that must be a 401 too.
    with pytest.raises(ApiException) as err:
        Sdk(new_api_client(emu)).users.get_users_me()
    assert_api_error(err.value, 401, ("authentication.required", "bad.credentials"))


def test_token_info_deserializes(supervisor):
    info = supervisor.tokens.get_tokens_me()
    assert_conforms(supervisor.last_json(), "TokenInfo", "GET /api/v2/tokens/me")
    assert info.organization is not None and info.organization.id, "TokenInfo.organization missing"
    assert info.o_auth_client is not None and info.o_auth_client.id == PUBLIC_CLIENT, info.o_auth_client


def test_token_endpoint_error_shape(emu):
    resp = requests.post(emu.base_url + "/oauth/token", data={"grant_type": "password"},
                         auth=(SERVICE_CLIENT, DEMO_SECRET), timeout=10)
    assert resp.status_code == 400, resp.text
    body = json.loads(resp.text)
    assert body.get("error") == "unsupported_grant_type"
    assert body.get("error_description") and body.get("description")


def test_tokens_never_reach_the_request_log_or_the_logs(emu, emulator_process):
    """Contract: the request log records who and what, never tokens; nor do the emulator's own logs."""
    sdk, data = _confidential_sign_in(emu)
    sdk.users.get_users_me()
    sdk.client.refresh_code_authorization_token(CONFIDENTIAL_CLIENT, DEMO_SECRET, data["refresh_token"])
    sdk.users.get_users_me()
    secrets_seen = {
        "first access token": data["access_token"],
        "first refresh token": data["refresh_token"],
        "current access token": sdk.client.access_token,
        "current refresh token": sdk.client.refresh_token,
        "client secret": DEMO_SECRET,
    }
    log_text = json.dumps(emu.request_log())
    assert "/api/v2/users/me" in log_text, "the request log should record the calls"
    stderr = emulator_process.stderr_tail(100000)
    for what, value in secrets_seen.items():
        assert value not in log_text, f"{what} appears in GET /_emulator/requests"
        assert value not in stderr, f"{what} appears in the emulator's stderr log"
