from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


def create_once(
    model: type[M],
    *,
    lookup: dict[str, object],
    create: Callable[[], M],
    retries_are_rare: bool = False,
) -> tuple[M, bool]:
    """Run `create` unless a row matching `lookup` exists; return (row, created).

    Two identical requests racing each other both reach the INSERT; the database's unique
    constraint lets one win, and the loser answers with the winner's row. Where retries are
    rare (a bot's turns), the row is not looked for first: the unique constraint alone finds
    a retry, and a first attempt saves that query.
    """
    if not retries_are_rare:
        existing = model._default_manager.filter(**lookup).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        existing = model._default_manager.filter(**lookup).first()
        if existing is None:
            raise
        return existing, False
