"""Logging filters. Read when logging is configured, before the apps load, by every process
(daphne, each Celery worker): this module imports nothing but logging."""

import logging
from typing import Any


class RefusalWithoutTraceback(logging.Filter):
    """A 4xx is the client's doing: its one line (status and path) says what was refused. The
    traceback Django attaches to a refused permission only points at our own `raise`, 35
    lines per refusal that bury the errors worth reading."""

    def filter(self, record: logging.LogRecord) -> bool:
        status: Any = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
