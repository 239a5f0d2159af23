"""The OpenAPI document states what the server enforces (tests/escalation/api/test_api_fuzz.py
holds the server to all of it); and the API's root says where the documents are."""

from typing import Any

from django.test import Client

from tests.support.factories import TeamFactory


def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_the_document_lists_the_teams_a_handoff_may_name(db: None) -> None:
    TeamFactory(slug="shipping")
    TeamFactory(slug="billing")

    team = document()["components"]["schemas"]["HandoffIn"]["properties"]["team"]

    assert {"type": "string", "maxLength": 50, "enum": ["billing", "shipping"]} in team["anyOf"]


def test_the_document_bounds_conversation_ids_to_what_the_database_holds(db: None) -> None:
    path = document()["paths"]["/api/v1/conversations/{conversation_id}/messages"]

    (parameter,) = path["post"]["parameters"]

    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 2**63 - 1)


def test_the_api_root_names_its_documents(db: None) -> None:
    response = Client().get("/api/v1/")

    assert response.status_code == 200
    links = response.json()
    assert Client().get(links["openapi"]).status_code == 200
    assert Client().get(links["docs"]).status_code == 200
