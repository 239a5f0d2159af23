import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail import get_connection, send_mail

from escalation.tasks import undecided_messages_sweep

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p9$wq!3v8z-production-secret-of-more-than-fifty-characters-xyz",
    "ALLOWED_HOSTS": "handover.example.com",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "BEHIND_TLS_PROXY": "true",
}


def without_a_key(tmp_path: Path) -> dict[str, str]:
    """No key in the environment, in .env or in a key file `make run` may have left."""
    return {"SECRET_KEY": "", "SECRET_KEY_FILE": str(tmp_path / "no-key")}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return python("manage.py", *args, env=env)


def python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_production_configuration_passes_the_deploy_check() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_development_defaults_fail_the_deploy_check(tmp_path: Path) -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=without_a_key(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr + result.stdout


def test_outside_debug_a_command_refuses_to_run_without_a_secret_key(tmp_path: Path) -> None:
    result = manage("migrate", "--check", env=without_a_key(tmp_path) | {"DEBUG": "false"})
    assert result.returncode != 0
    assert "escalation.E001" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_outside_debug_the_server_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = python("-c", "import escalation.asgi", env=without_a_key(tmp_path))
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_outside_debug_a_guessable_secret_key_is_refused(tmp_path: Path) -> None:
    guessable = without_a_key(tmp_path) | {"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}
    result = manage("check", env=guessable)
    assert result.returncode != 0
    assert "escalation.E002" in result.stderr


def test_with_debug_a_command_runs_without_a_secret_key(tmp_path: Path) -> None:
    result = manage("check", env=without_a_key(tmp_path) | {"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


def test_make_run_keeps_a_random_secret_key_of_its_own_across_runs(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret_key"
    make = ["make", "--no-print-directory", "-C", str(ROOT), f"SECRET_KEY_FILE={key_file}"]
    subprocess.run([*make, "secret-key"], check=True, capture_output=True)  # noqa: S603
    first = key_file.read_text()
    subprocess.run([*make, "secret-key"], check=True, capture_output=True)  # noqa: S603
    assert key_file.read_text() == first
    assert len(first.strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner alone
    result = manage("check", env={"SECRET_KEY": "", "SECRET_KEY_FILE": str(key_file)})
    assert result.returncode == 0, result.stderr


def setting(name: str, env: dict[str, str]) -> str:
    code = f"from django.conf import settings; print(settings.{name})"
    result = python("-c", code, env={"DJANGO_SETTINGS_MODULE": "escalation.settings"} | env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_survey_links_point_at_the_port_served_by_default() -> None:
    assert setting("SITE_URL", {"SITE_URL": "", "PORT": "9123"}) == "http://127.0.0.1:9123"


def test_site_url_when_set_wins_over_the_port() -> None:
    site = {"SITE_URL": "https://support.example.com", "PORT": "9123"}
    assert setting("SITE_URL", site) == "https://support.example.com"


def test_email_on_the_defaults_is_one_line_in_the_log() -> None:
    assert (
        setting("EMAIL_BACKEND", {"EMAIL_URL": ""})
        == "escalation.backends.mail.OneLineEmailBackend"
    )


def test_the_one_line_email_backend_logs_who_and_what(caplog: pytest.LogCaptureFixture) -> None:
    connection = get_connection("escalation.backends.mail.OneLineEmailBackend")
    with caplog.at_level(logging.INFO, logger="escalation.backends.mail"):
        send_mail(
            "Did the handover help?",
            "A long body\nof many lines",
            None,
            ["priya@example.com"],
            connection=connection,
            html_message="<p>and its HTML</p>",
        )
    assert caplog.messages == ["email to priya@example.com: Did the handover help?"]


@pytest.mark.django_db
def test_a_periodic_task_that_succeeded_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        undecided_messages_sweep.apply(throw=True)
    assert [record for record in caplog.records if record.levelno >= logging.INFO] == []
