from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from escalation.webchat.consumer import CHANNEL as WEB_CHAT
from surveys.forms import SurveyForm
from surveys.links import LinkProblem, survey_answer, survey_from_token
from surveys.models import Survey

PROBLEM_STATUS = {LinkProblem.TAMPERED: 400, LinkProblem.EXPIRED: 410, LinkProblem.USED: 410}


def _problem_page(request: HttpRequest, problem: LinkProblem) -> HttpResponse:
    context = {"problem": problem.value, "max_age_days": settings.SURVEY_MAX_AGE_DAYS}
    return render(request, "surveys/survey.html", context, status=PROBLEM_STATUS[problem])


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    check = survey_from_token(token=token)
    if check.problem is not None or check.survey is None:
        return _problem_page(request, check.problem or LinkProblem.TAMPERED)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        recorded = survey_answer(survey=check.survey, **form.cleaned_data)
        if not recorded:
            return _problem_page(request, LinkProblem.USED)
        return render(request, "surveys/survey.html", {"answered": True})
    status = 400 if form.is_bound else 200
    return render(request, "surveys/survey.html", {"form": form}, status=status)


@login_required
@require_POST
def chat_survey(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-tap answer in the web chat: only the customer whose chat it is may give it, and
    only once."""
    survey = get_object_or_404(
        Survey.objects.select_related("handoff"),
        pk=pk,
        handoff__conversation__channel=WEB_CHAT,
        handoff__conversation__customer__user=request.user,
    )
    answer = request.POST.get("did_help", "")
    if answer not in ("yes", "no"):
        return HttpResponse("Answer yes or no.", status=400)
    survey_answer(survey=survey, did_help=answer == "yes")
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("chat")
    survey.refresh_from_db()
    return render(request, "chat/chat.html#rating", {"survey": survey})
