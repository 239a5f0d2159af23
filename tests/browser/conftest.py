"""Browser tests: the system Chromium driven by Playwright against the live server (daphne on
the test database, with a Celery worker when Celery is not eager)."""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
)

from tests.support.factories import UserFactory, bot_with_key, console_agent, supervisor_user

# An ignored folder, so that a test run leaves the tree as it was; `make screenshots` sets
# SCREENSHOTS_DIR=docs/screenshots to refresh the README's pictures.
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", "test-artifacts/screenshots")
SERIOUS = {"serious", "critical"}
# The server answers chat turns through Celery and pushes over websockets: allow for a busy CI.
expect.set_options(timeout=15_000)


@pytest.hookimpl(trylast=True)  # after pytest-django puts transactional tests last
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: once Playwright's sync API has started, an event loop runs in
    the main thread for the rest of the session, and Django's async-safety check (which the
    other tests keep) must be switched off."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright() -> Iterator[None]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no Chromium installed: apt-get install chromium")
    return browser_type_launch_args | {
        "executable_path": chromium,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--autoplay-policy=no-user-gesture-required",
        ],
    }


@pytest.fixture
def survey_links_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_DELAY_SECONDS", "0")  # read by the server processes


@pytest.fixture
def server(survey_links_at_once: None, live_server_url: str, scope: None) -> str:
    """The live server's base URL, with the AI's demo scope and survey links sent at once."""
    return live_server_url


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    """The demo's cast: agents Ana and Ben, supervisor Sam and the chat customer Maria."""
    cast = {
        "ana": console_agent(username="ana", first_name="Ana", last_name="Silva"),
        "ben": console_agent(username="ben", first_name="Ben", last_name="Okafor"),
        "sam": supervisor_user(username="sam", first_name="Sam", last_name="Lindqvist"),
        "maria": UserFactory(
            username="maria", first_name="Maria", last_name="Gomez", email="maria@example.com"
        ),
    }
    for user in cast.values():
        user.save()  # the factory sets the password without saving it; sessions check its hash
    return cast


@pytest.fixture
def signed_in(browser: Browser, server: str) -> Iterator[Callable[..., Page]]:
    """`signed_in(user)`: a page in a fresh browser context logged in as `user`."""
    contexts: list[BrowserContext] = []

    def open_page(user: Any, **context_args: Any) -> Page:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context = browser.new_context(
            base_url=server, viewport={"width": 1280, "height": 860}, **context_args
        )
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server}]
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def bot_api(playwright: Playwright, server: str) -> Iterator[APIRequestContext]:
    """A bot talking to the live server's Bot API with its key."""
    _bot, key = bot_with_key(name="shop-bot")
    api = playwright.request.new_context(
        base_url=server, extra_http_headers={"Authorization": f"Bearer {key}"}
    )
    yield api
    api.dispose()


def bot_handoff(api: APIRequestContext, *, name: str, summary: str) -> int:
    """A conversation for `name`, handed off by the bot; returns the handoff's id."""
    slug = name.lower().replace(" ", "-")
    conversation = api.post(
        "/api/v1/conversations",
        data={
            "external_id": slug,
            "channel": "web",
            "customer": {"external_id": slug, "name": name},
        },
    )
    assert conversation.ok, conversation.text()
    handoff = api.post(
        f"/api/v1/conversations/{conversation.json()['id']}/handoff",
        data={"external_id": f"{slug}-handoff", "summary": summary, "reason": "asked by the bot"},
    )
    assert handoff.ok, handoff.text()
    return int(handoff.json()["id"])


def screenshot(page: Page, name: str) -> None:
    """The page from its top, as a reader first sees it, into SCREENSHOTS."""
    page.evaluate(
        """() => {
            document.activeElement.blur();
            window.scrollTo(0, 0);
            document.querySelectorAll(".packet").forEach((panel) => { panel.scrollTop = 0; });
        }"""
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def assert_accessible(page: Page) -> None:
    """axe-core in the page finds no serious or critical violation."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in serious
    )
