import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from escalation.detectors.corpus import BuildError, File, Source, build, labels

NLU = """version: "3.1"
nlu:
- intent: human_handoff
  examples: |
    - I want to talk to a human
    - i want to talk to a HUMAN
    - put me through to [billing](department)
    - can I speak to an agent
- intent: card_lost
  examples: |
    - I lost my card
    - my card is gone, I can't find it
    - someone stole my card
- intent: card_fee
  examples: |
    - why is there a fee on my card
    - what does the card cost
- synonym: card
  examples: |
    - credit card
"""

EMOTIONS = (
    "Utterance,Emotion\n"
    "This is outrageous!,anger\n"
    "This   is outrageous!,anger\n"
    "Fine thanks,neutral\n"
    "Lovely day,joy\n"
    "Oh no,fear\n"
    "I want to talk to a human,neutral\n"
    f"{'x' * 500},neutral\n"
    ",neutral\n"
)


def make_mirror(
    tmp_path: Path, files: dict[str, bytes] | None = None, repo: str = "acme+bot"
) -> tuple[Path, str]:
    """A bare git snapshot named like the fetched ones: <mirror>/<owner>+<name>/repo."""
    if files is None:
        files = {"data/nlu.yml": NLU.encode(), "data/emotions.csv": EMOTIONS.encode()}
    work = tmp_path / "work"
    for name, body in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(body)

    def git(*args: str, cwd: Path = work) -> str:
        return subprocess.run(  # noqa: S603
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],  # noqa: S607
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "data")
    commit = git("rev-parse", "HEAD")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    git("clone", "-q", "--bare", str(work), str(mirror / repo / "repo"), cwd=tmp_path)
    return mirror, commit


def source(commit: str) -> Source:
    return Source(
        id="acme",
        repo="acme/bot",
        commit=commit,
        licence="Apache-2.0",
        domain="bank",
        register="chat",
        files=(
            File(
                ("data/nlu.yml",),
                "rasa",
                human_request=labels({"human_handoff"}),
                repeat=True,
            ),
            File(
                ("data/emotions.csv",),
                "csv",
                {"text": "Utterance", "label": "Emotion"},
                human_request=labels((), {"neutral", "joy"}),
                distress=labels({"anger"}, {"neutral", "joy"}),
            ),
        ),
    )


def read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_build_writes_labelled_deduplicated_capped_rows_and_a_manifest(tmp_path: Path) -> None:
    mirror, commit = make_mirror(tmp_path)
    out = tmp_path / "out"
    manifest = build(out, mirror=mirror, sources=[source(commit)])

    human = read(out / "human_request.jsonl")
    assert {tuple(sorted(row)) for row in human} == {
        ("domain", "label", "register", "source", "text")
    }
    texts = [str(row["text"]).casefold() for row in human]
    assert len(texts) == len(set(texts)), "case-folded duplicates are dropped"
    # Four hand-off asks: one a case-folded duplicate, one also a negative in the other file
    # (a text with both labels is dropped).
    assert "i want to talk to a human" not in texts
    assert sum(row["label"] is True for row in human) == 2
    # Five card questions, "Fine thanks", "Lovely day".
    assert sum(row["label"] is False for row in human) == 7
    assert all(row["source"] == "acme" and row["domain"] == "bank" for row in human)

    distress = read(out / "distress.jsonl")
    assert [(row["text"], row["label"]) for row in distress if row["label"]] == [
        ("This is outrageous!", True)
    ], "whitespace is normalised before de-duplication"
    assert "Oh no" not in {row["text"] for row in distress}, "unmapped emotions are left out"
    assert all(len(str(row["text"])) <= 400 and row["text"] for row in distress)

    pairs = read(out / "repeat_pairs.jsonl")
    assert {tuple(sorted(row)) for row in pairs} == {
        ("a", "b", "domain", "label", "register", "source")
    }
    assert any(row["label"] is True for row in pairs)
    assert any(row["label"] is False for row in pairs)
    keys = [frozenset((str(row["a"]).casefold(), str(row["b"]).casefold())) for row in pairs]
    assert len(keys) == len(set(keys))
    assert all(row["a"] != row["b"] for row in pairs)

    entry = manifest["sources"]["acme"]
    assert entry["commit"] == commit
    assert entry["rows"]["data/nlu.yml"]["human_request"]["true"] == 2
    assert entry["rows"]["data/emotions.csv"]["distress"] == {"false": 3, "true": 1}
    assert sum(entry["rows"][name]["human_request"].get("false", 0) for name in entry["rows"]) == 7
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert (
        manifest["outputs"]["distress.jsonl"]
        == hashlib.sha256((out / "distress.jsonl").read_bytes()).hexdigest()
    )

    again = build(tmp_path / "again", mirror=mirror, sources=[source(commit)])
    assert again["outputs"] == manifest["outputs"], "the fixed seed makes the build reproducible"

    capped = build(
        tmp_path / "capped", mirror=mirror, sources=[source(commit)], cap_positive=1, cap_negative=5
    )
    rows = read(tmp_path / "capped" / "human_request.jsonl")
    assert (sum(r["label"] is True for r in rows), sum(r["label"] is False for r in rows)) == (1, 5)
    assert capped["sources"]["acme"]["rows"]["data/emotions.csv"]["distress"]["true"] == 1


def test_adding_a_source_leaves_the_others_samples_as_they_were(tmp_path: Path) -> None:
    """Each source's capped sample and repeat pairs are drawn on their own: a source added to
    the table (its texts other utterances of other intents) changes nothing already built."""
    mirror, commit = make_mirror(tmp_path)
    caps = {"cap_positive": 1, "cap_negative": 5, "cap_pairs": 2}
    alone = tmp_path / "alone"
    build(alone, mirror=mirror, sources=[source(commit)], **caps)
    other = Source(**{**source(commit).__dict__, "id": "other"})
    both = tmp_path / "both"
    build(both, mirror=mirror, sources=[source(commit), other], **caps)

    for name in ("human_request.jsonl", "distress.jsonl", "repeat_pairs.jsonl"):
        before = read(alone / name)
        assert before, name
        assert [row for row in read(both / name) if row["source"] == "acme"] == before, name


def test_a_missing_snapshot_or_commit_is_a_clear_error(tmp_path: Path) -> None:
    mirror, commit = make_mirror(tmp_path)
    with pytest.raises(BuildError, match="no snapshot of acme/other"):
        build(tmp_path / "out", mirror=mirror, sources=[
            Source("x", "acme/other", commit, "MIT", "shop", "chat", source(commit).files)
        ])  # fmt: skip
    with pytest.raises(BuildError, match="not in"):
        build(tmp_path / "out", mirror=mirror, sources=[source("0" * 40)])


def zipped(members: dict[str, object]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, json.dumps(data))
    return buffer.getvalue()


def test_each_bot_export_format_is_read_with_its_intents(tmp_path: Path) -> None:
    """Watson workspaces, Autopilot schemas and Dialogflow zips (CX and ES)."""
    watson = {
        "intents": [
            {"intent": "General_Connect_to_Agent", "examples": [{"text": "agent pls"}]},
            {"intent": "Customer_Care_Contact_Us", "examples": [{"text": "phone or a person?"}]},
            {"intent": "Store_Hours", "examples": [{"text": "when do you open"}]},
        ]
    }
    autopilot = {
        "tasks": [
            {"uniqueName": "send_to_agent", "samples": [{"taggedText": "Switch to agent"}]},
            {"uniqueName": "greeting", "samples": [{"taggedText": "hello there"}]},
        ]
    }
    cx = zipped({
        "agent/intents/escalate/trainingPhrases/en.json": {
            "trainingPhrases": [{"parts": [{"text": "customer "}, {"text": "care"}]}]
        },
        "agent/intents/escalate/trainingPhrases/fr.json": {
            "trainingPhrases": [{"parts": [{"text": "un conseiller"}]}]
        },
        "__MACOSX/agent/intents/escalate/trainingPhrases/en.json": {"trainingPhrases": []},
        "agent/intents/report/trainingPhrases/en.json": {
            "trainingPhrases": [{"parts": [{"text": "there is graffiti on my wall"}]}]
        },
    })  # fmt: skip
    es = zipped({
        "intents/talk_to_human_usersays_en.json": [
            {"data": [{"text": "is there somebody who could "}, {"text": "help me"}]}
        ],
        "intents/talk_to_human.json": {"name": "talk_to_human"},
    })  # fmt: skip
    mirror, commit = make_mirror(
        tmp_path,
        {
            "watson.json": json.dumps(watson).encode(),
            "autopilot.json": json.dumps(autopilot).encode(),
            "cx.zip": cx,
            "es.zip": es,
        },
    )
    positive = {
        "General_Connect_to_Agent", "send_to_agent", "escalate",
        "talk_to_human",
    }  # fmt: skip
    handoff = labels(positive, neither={"Customer_Care_Contact_Us"})
    files = tuple(
        File((name,), reader, human_request=handoff)
        for name, reader in (
            ("watson.json", "watson"),
            ("autopilot.json", "autopilot"),
            ("cx.zip", "dialogflow"),
            ("es.zip", "dialogflow"),
        )
    )
    build(tmp_path / "out", mirror=mirror, sources=[
        Source("bots", "acme/bot", commit, "MIT", "shop", "chat", files)
    ])  # fmt: skip
    rows = {
        str(row["text"]): row["label"] for row in read(tmp_path / "out" / "human_request.jsonl")
    }
    assert rows == {
        "agent pls": True,
        "when do you open": False,
        "Switch to agent": True,
        "hello there": False,
        "customer care": True,
        "there is graffiti on my wall": False,
        "is there somebody who could help me": True,
    }, "one row per example, English only, mixed intents left out"
