import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command


def turn(speaker: str, text: str, slots: dict[str, str] = {}, intent: bool = False) -> Any:  # noqa: B006
    spans = [
        {"slot": slot, "start": text.index(value), "exclusive_end": text.index(value) + len(value)}
        for slot, value in slots.items()
    ]
    actions = [{"act": "INFORM_INTENT"}] if intent else []
    return {"speaker": speaker, "utterance": text, "frames": [{"slots": spans, "actions": actions}]}


def dialogue(number: int, service: str) -> dict[str, Any]:
    return {
        "dialogue_id": f"{number}",
        "services": [service],
        "turns": [
            turn("USER", "I would like to make a payment to Rachel please.", intent=True),
            turn("SYSTEM", "How much?"),
            turn("USER", "It's 49 bucks.", {"amount": "49 bucks"}),
            turn("SYSTEM", "When?"),
            turn("USER", "Send it on March 8th.", {"date": "March 8th"}),
        ],
    }


def test_measures_the_extractive_summary_beside_the_first_message(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    rows = [dialogue(n, "Payment_1") for n in range(3)] + [dialogue(9, "Hotels_2")]
    (tmp_path / "test" / "dialogues_001.json").write_text(json.dumps(rows))
    out = StringIO()

    call_command("eval_summaries", "--sgd", str(tmp_path), stdout=out)

    figures = json.loads(out.getvalue().splitlines()[-1])
    assert figures == {
        "dialogues": 4,
        "baseline": {"facts": 0.0, "outcome": 1.0},
        "extractive": {"facts": 1.0, "outcome": 1.0},
    }


def test_a_folder_without_the_corpus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no test/ folder"):
        call_command("eval_summaries", "--sgd", str(tmp_path))
