import pytest

from escalation.detectors.lexicons import detect_human_request

# --- human requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "can I talk to a real person",
        "Can I speak to a human please?",
        "agent please",
        "agent!!",
        "AGENT",
        "representative",
        "operator",
        "live agent",
        "human please",
        "customer service rep",
        "get me a human",
        "give me a person please",
        "I want to speak to someone",
        "I need to talk to somebody who can actually help",
        "connect me to a live agent",
        "transfer me to customer support",
        "please put me through to a supervisor",
        "can you put me in touch with a manager",
        "I'd like to chat with a customer service representative",
        "let me speak to your manager",
        "is there a human I can talk to?",
        "I want a real person, not a bot",
        "I don't want to talk to a bot anymore",
        "I can't reach an agent anywhere",
        "I don't know how to contact a live agent",
        "you're not helping. I need a human",
        "Can someone from your team call me?",
        "I would like a callback from an agent",
        "can a real human look at this",
        "is there anyone real there?",
        "is there somebody who could help me",
        "Is anybody around",
    ],
)
def test_human_request_fires_on_english_requests(text: str) -> None:
    signal = detect_human_request(text)
    assert signal.fired, signal
    assert 0.5 <= signal.score <= 1.0
    assert '"' in signal.evidence


@pytest.mark.parametrize(
    "text",
    ["cna i talk to a huamn", "reprsentative pls", "can i speak to an opertor", "i want an agnet"],
)
def test_human_request_tolerates_typos(text: str) -> None:
    assert detect_human_request(text).fired


@pytest.mark.parametrize(
    "text",
    [
        "quiero hablar con una persona",
        "¿Puedo hablar con un agente, por favor?",
        "necesito un asesor",
        "je veux parler à un conseiller",
        "Pouvez-vous me mettre en relation avec un agent ?",
        "ich möchte mit einem Mitarbeiter sprechen",
        "Verbinden Sie mich bitte mit einem Menschen",
        "quero falar com um atendente",
        "me transfere para uma pessoa, por favor",
    ],
)
def test_human_request_fires_on_other_languages(text: str) -> None:
    assert detect_human_request(text).fired


@pytest.mark.parametrize(
    "text",
    [
        "the agent at the store said it would be refunded",
        "it was a human error on my side",
        "I am not a robot",
        "no need for a person, thanks",
        "I don't want to talk to an agent, just tell me the balance",
        "my travel agent booked it",
        "how do I become an agent",
        "are you a human?",
        "am I talking to a bot?",
        "you sound like a real person",
        "someone stole my card",
        "how much does it cost to send money to someone else?",
        "can I transfer money to another person?",
        "which languages do you speak?",
        "the person I sent money to has not received it",
        "I spoke to an agent last week and they said it was fixed",
        "I was talking to an agent and got cut off",
        "can someone help me with my card",
        "I am a real estate agent",
        "talk to you later",
        "is someone around the house",
        "no quiero hablar con un agente",
        "ich möchte nicht mit einem Mitarbeiter sprechen",
        "",
    ],
)
def test_human_request_ignores_mentions_and_negations(text: str) -> None:
    signal = detect_human_request(text)
    assert not signal.fired, signal


def test_human_request_reports_negation_as_evidence() -> None:
    signal = detect_human_request("I don't want to talk to an agent")
    assert not signal.fired
    assert signal.negated
    assert "negated" in signal.evidence
    assert not detect_human_request("where is my parcel").negated
