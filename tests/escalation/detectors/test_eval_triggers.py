import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


def test_prints_a_table_then_one_json_object(db: None, tmp_path: Path) -> None:
    human = write_jsonl(
        tmp_path / "human.jsonl",
        [
            {"text": "let me talk to a real person", "label": True, "subset": "chat"},
            {"text": "where is my parcel?", "label": False, "subset": "chat"},
            {"text": "the agent at the store was rude", "label": False, "subset": "mail"},
        ],
    )
    repeats = write_jsonl(
        tmp_path / "repeats.jsonl",
        [
            {"a": "Where is my refund?", "b": "My refund has not arrived yet", "label": True},
            {"a": "Where is my refund?", "b": "How do I change my PIN?", "label": False},
        ],
    )
    out = StringIO()

    call_command(
        "eval_triggers", "--human-request", str(human), "--repeats", str(repeats), stdout=out
    )

    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert set(summary) == {"human_request", "repeats"}
    assert summary["human_request"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert set(summary["repeats"]) == {"precision", "recall", "f1"}
    table = "\n".join(lines[:-1])
    assert "human_request" in table and "chat" in table and "mail" in table


def test_refuses_missing_files(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("eval_triggers", "--distress", str(tmp_path / "nope.jsonl"), stdout=StringIO())
    with pytest.raises(CommandError, match="at least one"):
        call_command("eval_triggers", stdout=StringIO())
