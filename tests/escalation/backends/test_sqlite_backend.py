"""The SQLite backend queues the transactions of one process on a lock
(escalation/backends/sqlite), on a database of its own whatever the configured one is."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction

from escalation.backends.sqlite.base import process_lock

ALIAS = "sqlite-queue-test"


@pytest.fixture
def sqlite_db(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """Not the test database: the tests' own file, opened outside the test's transaction."""
    django_db_blocker.unblock()
    name = str(tmp_path / "queue.sqlite3")
    connections.settings[ALIAS] = {
        "ENGINE": "escalation.backends.sqlite",
        "NAME": name,
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n integer)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    try:
        yield name
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]
        django_db_blocker.restore()


def increment() -> None:
    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        (n,) = cursor.fetchone()
        cursor.execute("UPDATE counter SET n = %s", [n + 1])


def test_a_transaction_holds_the_lock_until_it_commits_or_rolls_back(sqlite_db: str) -> None:
    lock = process_lock(sqlite_db)

    with transaction.atomic(using=ALIAS):
        assert lock.locked()
    assert not lock.locked()

    with pytest.raises(ZeroDivisionError), transaction.atomic(using=ALIAS):
        assert lock.locked()
        1 / 0  # noqa: B018
    assert not lock.locked()


def test_a_connection_closed_inside_a_transaction_lets_the_lock_go(sqlite_db: str) -> None:
    with transaction.atomic(using=ALIAS):
        connections[ALIAS].close()
        assert not process_lock(sqlite_db).locked()


def test_a_second_writer_waits_for_the_first_on_the_lock_and_then_runs(sqlite_db: str) -> None:
    """A writer in another thread does not begin while the first is open (it waits on the
    process lock, not in SQLite's busy handler), and runs as soon as the first commits."""
    lock = process_lock(sqlite_db)
    second_done = threading.Event()

    def second() -> None:
        try:
            increment()
            second_done.set()
        finally:
            connections[ALIAS].close()

    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        cursor.execute("UPDATE counter SET n = 10")
        thread = threading.Thread(target=second)
        thread.start()
        assert not second_done.wait(0.3)
        assert lock.locked()
    thread.join(10)

    assert second_done.is_set()
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (11,)


def test_concurrent_writers_all_commit(sqlite_db: str) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(25):
                increment()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections[ALIAS].close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (200,)
    assert not process_lock(sqlite_db).locked()
