from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, TypeVar, cast

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


class AlreadyStored(Exception):
    """Raised by a `create` that finds, under its lock, the row a retry asks for."""

    def __init__(self, row: models.Model) -> None:
        self.row = row


class IdempotencyConflict(Exception):
    """The external_id was first used for a request with other values."""

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(
            f"This external_id was first used with another {', '.join(fields)}; "
            "a new request needs a new external_id."
        )


def fields_changed(row: models.Model, expected: Mapping[str, Any]) -> list[str]:
    """The names in `expected` (dotted for related rows) whose stored value on `row` differs."""
    return [name for name, value in expected.items() if attrgetter(name)(row) != value]


def create_once(
    model: type[M],
    *,
    lookup: dict[str, object],
    create: Callable[[], M],
    changed: Callable[[M], list[str]] | None = None,
    retries_are_rare: bool = False,
) -> tuple[M, bool]:
    """Run `create` unless a row matching `lookup` exists; return (row, created).

    Two identical requests racing each other both reach the INSERT; the database's unique
    constraint lets one win, and the loser answers with the winner's row (or `create` finds
    it under its lock and raises AlreadyStored). Where retries are rare (a bot's turns), the
    row is not looked for first: the unique constraint alone finds a retry, and a first
    attempt saves that query. A retry whose values differ from the stored row's, as
    `changed` tells, is not a retry: IdempotencyConflict.
    """
    existing = None
    if not retries_are_rare:
        existing = model._default_manager.filter(**lookup).first()
    if existing is None:
        try:
            with transaction.atomic():
                return create(), True
        except AlreadyStored as stored:
            existing = cast(M, stored.row)
        except IntegrityError:
            existing = model._default_manager.filter(**lookup).first()
            if existing is None:
                raise
    different = changed(existing) if changed else []
    if different:
        raise IdempotencyConflict(different)
    return existing, False
