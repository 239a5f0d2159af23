"""Schemathesis over the whole Bot API, as a generated client would use it: every operation,
valid and invalid inputs, and the stateful links between them (a conversation's id into its
messages, actions and handoff), against a live server on the test database. Its checks
include that the answer is never a server error, that every answer is in the document, and
that what the document allows is accepted and what it forbids is refused."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from escalation.models import ActionLimit, AuthorisedAction
from tests.support.factories import TeamFactory, bot_with_key
from tests.support.live import http
from tests.support.webhook_server import endpoint_serve

SEED = 20261201
# Per operation and phase: the test takes 1-1.5 minutes here, the server's start included.
MAX_EXAMPLES = 15
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def server_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A rate limit no run reaches. The callback URLs the run makes up name hosts anywhere:
    the server's webhooks go to a local proxy instead, and stay on this machine."""
    for proxy in endpoint_serve([200]):
        proxy_url = f"http://{urlsplit(proxy.url).netloc}"
        monkeypatch.setenv("API_RATE_LIMIT", "1000000/m")
        monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "1")
        monkeypatch.setenv("http_proxy", proxy_url)
        monkeypatch.setenv("https_proxy", proxy_url)
        monkeypatch.setenv("no_proxy", "127.0.0.1")  # the tests' own calls to the server
        yield


@pytest.fixture
def fuzzed_server(server_environment: None, live_server_url: str) -> str:
    return live_server_url


def server_state(base_url: str) -> str:
    """For a failed run: whether the server was still there to answer."""
    try:
        status, _ = http("GET", f"{base_url}/healthz")
    except OSError as exc:
        return f"The server no longer answers: {exc}"
    return f"The server still answers /healthz: {status}"


def test_the_whole_api_keeps_to_its_openapi_document(fuzzed_server: str, tmp_path: Path) -> None:
    _, key = bot_with_key(name="fuzzing-bot")
    TeamFactory(slug="billing")  # the document lists the teams a handoff may name
    credit = AuthorisedAction.objects.create(name="issue_credit")
    ActionLimit.objects.create(action=credit, param="amount", maximum=50)

    run = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            f"{fuzzed_server}/api/v1/openapi.json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {key}",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-database",
            "none",
            "--wait-for-schema",
            "30",
        ],
        cwd=tmp_path,  # where it keeps its own files
        capture_output=True,
        text=True,
        timeout=600,
    )

    summary = "\n".join(line[:300] for line in run.stdout.splitlines())
    assert run.returncode == 0, f"{summary}\n{run.stderr[-2000:]}\n{server_state(fuzzed_server)}"
    assert "Stateful" in run.stdout
