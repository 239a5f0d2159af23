"""The server processes, started as children: daphne and a Celery worker. `serve` runs them for
people; the benchmark and the live-server tests run them on a free loopback port and stop them
after."""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from celery import Celery
from django.conf import settings
from django.db import close_old_connections

from escalation.celery import app

logger = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL naming the database of `settings_dict` (a connection's settings, the
    test database's included), for a child process to use the same one."""
    name = settings_dict["NAME"]
    if settings_dict["ENGINE"] == "escalation.backends.sqlite":
        return f"sqlite:///{name}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


def child_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process: this one's, with its key, so that a session or a
    CSRF token one of them signs is good in the other (and a key this process made up for
    itself counts as configured there)."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
    env["SECRET_KEY"] = settings.SECRET_KEY
    env.update(overrides or {})
    return env


def worker_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "escalation", "worker", *extra]


def daphne_command(host: str, port: int, verbosity: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        host,
        "-p",
        str(port),
        "-v",
        str(verbosity),
        "escalation.asgi:application",
    ]


def stop(process: subprocess.Popen[Any], timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_serving(base_url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # it answers; a failing check is the caller's business
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not serve {base_url} within {timeout}s")


@contextlib.contextmanager
def daphne_server(
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    verbosity: int = 1,
) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """Daphne serving the project on a loopback port: yields its base URL and its process.
    Verbosity 0 drops the access log (the benchmark's thousands of requests)."""
    port = port or free_port()
    command = daphne_command(host, port, verbosity)
    process = subprocess.Popen(command, env=child_env(env))  # noqa: S603
    try:
        base_url = f"http://{host}:{port}"
        wait_until_serving(base_url, process)
        yield base_url, process
    finally:
        stop(process)


@contextlib.contextmanager
def celery_worker(
    env: Mapping[str, str] | None = None, name: str = "worker", extra: Sequence[str] = ()
) -> Iterator[subprocess.Popen[Any] | None]:
    """A Celery worker process on the broker of `env` (or the configured one), once it answers
    a ping; with eager Celery (no broker) there is nothing to start and it yields None."""
    broker_url = (env or {}).get("REDIS_URL") or settings.CELERY_BROKER_URL
    if broker_url.startswith("memory://"):
        yield None
        return
    hostname = f"{name}-{os.getpid()}-{free_port()}@localhost"
    command = worker_command("-n", hostname, "-l", "warning", "--concurrency", "2", *extra)
    process = subprocess.Popen(command, env=child_env(env))  # noqa: S603
    try:
        wait_for_worker(hostname, process, broker_url)
        yield process
    finally:
        stop(process)


def wait_for_worker(
    hostname: str, process: subprocess.Popen[Any], broker_url: str, timeout: float = 60
) -> None:
    probe = Celery(broker=broker_url, set_as_current=False)  # not this process's own broker
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {process.returncode}")
            if probe.control.ping(destination=[hostname], timeout=0.5):
                return
    finally:
        probe.close()
    raise RuntimeError(f"the Celery worker {hostname} did not answer within {timeout}s")


class EagerBeat(threading.Thread):
    """Celery beat for the embedded defaults, where no worker runs: each periodic task of the
    schedule runs here, in the serving process, when it is due. With a broker, Celery's own
    beat does this instead."""

    def __init__(self, schedule: Mapping[str, Mapping[str, Any]], tick: float = 1.0) -> None:
        super().__init__(name="eager-beat", daemon=True)
        self.intervals = {entry["task"]: float(entry["schedule"]) for entry in schedule.values()}
        self.tick = tick
        self.stopped = threading.Event()

    def run(self) -> None:
        app.loader.import_default_modules()
        due = {task: time.monotonic() + interval for task, interval in self.intervals.items()}
        while not self.stopped.wait(self.tick):
            for task, at in due.items():
                if time.monotonic() < at:
                    continue
                due[task] = time.monotonic() + self.intervals[task]
                try:
                    app.tasks[task].apply(throw=True)
                except Exception:
                    logger.exception("periodic task %s failed", task)
                finally:
                    close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """A private redis-server on a loopback port, without persistence (for fault tests that
    stop and restart it); yields its URL and its process."""
    port = port or free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--loglevel", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not listen on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        stop(process)
