"""Fixtures: one emulator process per test module, reset to the seeded demo scenario before every test."""

from __future__ import annotations

import pytest
import requests

from harness import AGENT1, OBSERVER, SUPERVISOR, Emu, EmulatorProcess, Sdk, sign_in_pkce, sign_in_service


@pytest.fixture(scope="module")
def emulator_process():
    """The binary started with the task's flags; killed at module end whatever happened."""
    proc = EmulatorProcess()
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def base_url(emulator_process: EmulatorProcess) -> str:
    return emulator_process.base_url


@pytest.fixture
def emu(emulator_process: EmulatorProcess, request: pytest.FixtureRequest):
    """Fresh demo state for each test (POST /_emulator/reset, faults cleared)."""
    e = Emu(emulator_process.base_url, emulator_process.port)
    try:
        e.reset()
    except (requests.RequestException, AssertionError) as err:
        pytest.fail(f"emulator reset failed: {err}\nemulator stderr:\n{emulator_process.stderr_tail()}")
    yield e
    if emulator_process.proc is not None and emulator_process.proc.poll() is not None:
        pytest.fail(f"emulator exited during the test; stderr:\n{emulator_process.stderr_tail()}")
    e.http.close()


@pytest.fixture
def supervisor(emu: Emu) -> Sdk:
    return sign_in_pkce(emu, SUPERVISOR)


@pytest.fixture
def agent(emu: Emu) -> Sdk:
    return sign_in_pkce(emu, AGENT1)


@pytest.fixture
def observer(emu: Emu) -> Sdk:
    return sign_in_pkce(emu, OBSERVER)


@pytest.fixture
def service(emu: Emu) -> Sdk:
    return sign_in_service(emu)
