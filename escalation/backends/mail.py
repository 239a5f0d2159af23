"""Email on the embedded defaults: one line in the log per message, where Django's console
backend prints each multipart message whole (a survey email is some forty lines). As of Django
5.2; tests/escalation/backends/test_upstream.py fails when that changes."""

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class OneLineEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            logger.info("email to %s: %s", ", ".join(message.recipients()), message.subject)
        return len(email_messages)
