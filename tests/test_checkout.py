"""What a fresh clone gives a newcomer: running it leaves the tree as it was."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS

ROOT = Path(__file__).resolve().parents[1]


def git_ignores(path: Path | str) -> bool:
    result = subprocess.run(  # noqa: S603
        ["git", "check-ignore", "--quiet", "--no-index", str(path)],  # noqa: S607
        cwd=ROOT,
        check=False,
    )
    return result.returncode == 0


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "var/secret_key",
        "db.sqlite3",
        "celerybeat-schedule.dat",
        "test-artifacts/screenshots/chat.png",
    ],
)
def test_what_a_run_writes_is_ignored_by_git(path: str) -> None:
    assert git_ignores(path)


def test_the_browser_tests_take_their_pictures_into_an_ignored_folder() -> None:
    assert git_ignores(SCREENSHOTS / "chat.png")


def test_without_redis_server_the_tests_that_start_one_are_skipped_saying_why() -> None:
    test = (
        "tests/escalation/backends/test_channel_layer.py"
        "::test_a_process_waiting_on_redis_is_told_when_it_goes_away"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-rs", "-q", test],
        cwd=ROOT,
        env=dict(os.environ, PATH=""),  # no redis-server to be found
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "apt-get install redis-server" in result.stdout
