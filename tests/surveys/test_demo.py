import pytest
from django.core.management import call_command

from surveys.models import HandoffOutcome

pytestmark = pytest.mark.django_db


def test_demo_computes_the_outcome_of_its_resolved_case() -> None:
    call_command("load_demo")
    outcome = HandoffOutcome.objects.get(handoff__conversation__external_id="demo-resolved-1")
    assert outcome.repeated is False
    assert outcome.first_contact_resolved is None  # the come-back window has just opened
