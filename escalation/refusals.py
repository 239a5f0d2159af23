"""How the site refuses a request: a page that says why and links back (403.html, for a
refused permission and a failed CSRF check alike). Its one log line: escalation/logs.py."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from escalation.roles import is_staff_member

CSRF_EXPLANATION = (
    "This form could not be accepted: its security token is missing or out of date, most "
    "often because the page was open for a long time, you logged in or out in another tab, "
    "or this site's cookies are blocked. Go back, reload the page and try again."
)


def refused_page(request: HttpRequest, *, why: str, detail: str = "") -> HttpResponse:
    home_url, home_label = home_for(request)
    context = {
        "why": why or "Your account does not have access to this page.",
        "detail": detail,
        "back_url": back_url(request),
        "home_url": home_url,
        "home_label": home_label,
    }
    return render(request, "403.html", context, status=403)


def back_url(request: HttpRequest) -> str:
    """The page of this site the visitor came from, unless it is the refused page itself."""
    referer = request.META.get("HTTP_REFERER", "")
    is_ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if is_ours and referer != request.build_absolute_uri() else ""


def home_for(request: HttpRequest) -> tuple[str, str]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return reverse("login"), "Log in"
    if is_staff_member(user):
        return reverse("console:queue"), "Go to the queue"
    return reverse("chat"), "Go to your chat"


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the reason the view gave, e.g. which team a case belongs to."""
    return refused_page(request, why=str(exception or ""))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: what the agent or customer can do about it, and Django's reason."""
    return refused_page(request, why=CSRF_EXPLANATION, detail=reason)
