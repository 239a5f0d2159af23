"""Links in the customer chat's notices, named by where they lead instead of shown as a long
signed URL (the survey link)."""

import re
from urllib.parse import urlsplit

from django import template
from django.urls import Resolver404, resolve
from django.utils.html import format_html, urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING_PUNCTUATION = ".,;:!?)"
LABELS = {"survey": "Answer the survey"}


def link_label(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return LABELS.get(match.url_name or "")


@register.filter
def links_labelled(text: str) -> SafeString:
    """The text escaped, with our own pages' links labelled and any other link (or email
    address) made clickable as it stands."""
    pieces, start = [], 0
    for match in URL.finditer(text):
        url = match.group().rstrip(TRAILING_PUNCTUATION)
        label = link_label(url)
        if label is None:
            continue
        pieces.append(urlize(text[start : match.start()], autoescape=True))
        pieces.append(format_html('<a href="{}">{}</a>', url, label))
        start = match.start() + len(url)
    pieces.append(urlize(text[start:], autoescape=True))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above
