import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from escalation.models import Bot
from tests.support.factories import bot_with_key


class BotClient:
    """A bot talking to the API with its key."""

    def __init__(self, bot: Bot, key: str) -> None:
        self.bot = bot
        self.key = key
        self.client = Client()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def post(self, path: str, body: Any) -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", headers=self.headers()
        )

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers())

    def open_conversation(self, external_id: str = "c-1", **extra: Any) -> dict[str, Any]:
        body = {
            "external_id": external_id,
            "channel": "web",
            "customer": {
                "external_id": "cust-1",
                "name": "Ana Gomez",
                "verified": True,
                "verification_method": "otp",
                "email": "ana@example.com",
            },
        } | extra
        response = self.post("/conversations", body)
        assert response.status_code in (200, 201), response.content
        return response.json()

    def post_turns(self, conversation_id: int, turns: list[tuple[str, str]]) -> None:
        """(sender, text) turns, in order; the AI's sure of itself."""
        for number, (sender, text) in enumerate(turns, start=1):
            body: dict[str, object] = {
                "external_id": f"turn-{number}",
                "sender": sender,
                "text": text,
            }
            if sender == "ai":
                body["confidence"] = 0.95
            response = self.post(f"/conversations/{conversation_id}/messages", body)
            assert response.status_code == 201, response.content


# A customer who asks the same thing twice more after the AI's answers.
REASKED = [
    ("customer", "My refund for order 5521 has not arrived"),
    ("ai", "Refunds take five working days."),
    ("customer", "Where is the refund for my order 5521?"),
    ("ai", "It is on its way."),
    ("customer", "I still have not received my refund for order 5521"),
]


@pytest.fixture(autouse=True)
def cached_state_forgotten() -> Iterator[None]:
    """The policy, the routing and the recent capacity are cached across requests; each test
    starts from its own database."""
    from django.core.cache import cache

    from escalation import team_routing
    from escalation.capacity import RECENT_CAPACITY_KEY
    from escalation.models import TriggerPolicy

    keys = [TriggerPolicy.CACHE_KEY, RECENT_CAPACITY_KEY, team_routing.CACHE_KEY]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def bot_client(db: None) -> BotClient:
    return BotClient(*bot_with_key(name="acme-bot"))


@pytest.fixture
def other_bot_client(db: None) -> BotClient:
    return BotClient(*bot_with_key(name="other-bot"))


@pytest.fixture
def scope(db: None) -> None:
    """The AI may look orders up, and issue credits of at most 50."""
    from escalation.models import ActionLimit, AuthorisedAction

    AuthorisedAction.objects.create(name="lookup_order")
    credit = AuthorisedAction.objects.create(name="issue_credit")
    ActionLimit.objects.create(action=credit, param="amount", maximum=50)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks in-process even when the suite runs against a real broker."""
    from escalation.celery import app as celery_app

    conf = celery_app.conf
    previous = conf.task_always_eager
    # Under the CELERY namespace the settings' own name wins over the plain one.
    conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    yield
    conf.update(CELERY_TASK_ALWAYS_EAGER=previous)


@dataclass
class EncoderRuns:
    """The texts the sentence encoder ran on."""

    texts: list[str] = field(default_factory=list)

    def forget(self) -> None:
        """This process's state as a fresh one's (another worker, a restart): the encodings
        and re-ask judgements it has cached, and the runs counted so far, forgotten."""
        from escalation.detectors import encoder, restatement

        encoder.encode.cache_clear()
        encoder._analysis.cache_clear()
        restatement.similarity.cache_clear()
        restatement.is_restatement.cache_clear()
        self.texts.clear()


@pytest.fixture
def encoder_runs(monkeypatch: pytest.MonkeyPatch) -> EncoderRuns:
    """The encoder's runs from here on, counted from a fresh process's state."""
    from escalation.detectors import encoder

    runs = EncoderRuns()
    runs.forget()
    model = encoder.load()
    real_tokens = model.tokens

    # tokens() is the one way into the model: vectors (run) and the words that decided a
    # fired head (explain.py) both go through it.
    def counted(text: str) -> object:
        runs.texts.append(text)
        return real_tokens(text)

    monkeypatch.setattr(model, "tokens", counted)
    return runs


@pytest.fixture
def llm_server(settings: Any) -> Iterator[Any]:
    """The built-in chat's assistant on a scripted model behind a real local HTTP server that
    speaks the OpenAI wire format (tests/support/openai_server.py), through the official client."""
    from escalation.llm import client_for
    from tests.support.openai_server import model_serve

    with model_serve() as model:
        settings.LLM_BASE_URL = model.base_url
        settings.LLM_MODEL = "test-model"
        settings.LLM_API_KEY = ""
        settings.LLM_TIMEOUT_SECONDS = 1.0
        settings.LLM_MAX_RETRIES = 1
        client_for.cache_clear()
        yield model
    client_for.cache_clear()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[None]:
    """A real Celery worker on the configured broker (Redis in the CI run); on the embedded
    defaults tasks run eagerly and no worker is needed."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield
        return
    from celery.contrib.testing.worker import start_worker

    from escalation.celery import app

    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"
    ):
        yield


@pytest.fixture
def live_server_url(transactional_db: None) -> Iterator[str]:
    """Daphne in its own process on a free loopback port, on the test database and the
    configured channel layer, with a real Celery worker process when Celery is not eager."""
    from django.db import connection

    from escalation.processes import celery_worker, daphne_server, database_url, free_port

    port = free_port()
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "SITE_URL": f"http://127.0.0.1:{port}",  # links in messages point at this server
    }
    with celery_worker(env), daphne_server(env, port=port) as (base_url, _process):
        yield base_url


# Data migrations' tests run forward from the state before them, then put the latest back.
@pytest.fixture
def migrator(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    yield executor
    executor = MigrationExecutor(connection)  # the graph as the test left it
    executor.migrate(latest)
