"""Django's SQLite backend, with the transactions of one process queued on a lock.

SQLite has one writer at a time, and each transaction here takes the write lock as it begins
(BEGIN IMMEDIATE, see settings). A transaction that finds it taken waits in SQLite's busy
handler, which sleeps in steps growing to 100 ms whether or not the lock came free in the
meantime: under a burst of concurrent writes the unlucky ones waited many times longer than
the lock was held (the Bot API's p99 was over five times its median). Here the transactions of
one process wait for each other on a lock instead, and the next starts as soon as the previous
one ends.
Writers in other processes (a Celery worker, a management command) still meet the busy handler,
and so does a transaction that waited longer than the connection's timeout for the lock.
As of Django 5.2 (django.db.backends.sqlite3); tests/escalation/backends/test_upstream.py fails
when the hooks overridden here change."""

import threading
from typing import Any

from django.db.backends.sqlite3 import base

process_locks: dict[str, threading.Lock] = {}


def process_lock(name: str) -> threading.Lock:
    return process_locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    holds_process_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        lock = process_lock(str(self.settings_dict["NAME"]))
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        self.holds_process_lock = lock.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self.process_lock_release()
            raise

    def process_lock_release(self) -> None:
        if self.holds_process_lock:
            self.holds_process_lock = False
            process_lock(str(self.settings_dict["NAME"])).release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self.process_lock_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self.process_lock_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self.process_lock_release()
