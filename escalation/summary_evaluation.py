"""How much of what the customer said the fallback summary keeps, measured on real multi-turn
dialogues: the Schema-Guided Dialogue corpus (google-research-datasets/dstc8-schema-guided-
dialogue, at SGD_COMMIT), whose customer turns are annotated with the values they give and the
intent they state. Only measured here: nothing of the corpus is copied into the project.

Key facts are the annotated values of the customer's turns that are amounts, dates and times
(the corpus annotates no reference numbers in customer turns); the requested outcome is the
turn where the customer first states their intent. A fact is kept when its value is in the
summary; the outcome is kept when two thirds of that turn's content words are. The summary's
one choice (how many of its words go to quoted sentences before the left-out facts are listed)
is picked leaving each source out: chosen on the other services' dialogues, scored on the one
left out."""

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalation.summary import MAX_WORDS, clip_words, customer_summary

SGD_REPOSITORY = "google-research-datasets/dstc8-schema-guided-dialogue"
SGD_COMMIT = "e852981ae34990f4358979625854259302feaa78"
# Transactions a customer-service chat handles: moving money, paying, booking and renting.
SOURCES = (
    "Banks",
    "Payment",
    "RentalCars",
    "Flights",
    "Hotels",
    "Restaurants",
    "Buses",
    "Trains",
    "Events",
    "Services",
)
PER_SOURCE = 10
FACT_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("amount", re.compile(r"amount|price|fare|cost|balance")),
    ("date", re.compile(r"date|time|day")),
)
QUOTE_CHOICES = (25, 30, 35, 40, 45, 50, 55)
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "can",
        "could",
        "would",
        "like",
        "want",
        "need",
        "please",
        "with",
        "that",
        "this",
        "have",
        "from",
        "are",
        "was",
        "will",
        "what",
        "find",
        "get",
        "make",
        "help",
        "also",
        "some",
        "one",
        "there",
        "their",
        "they",
        "them",
        "then",
        "than",
        "just",
    ]
)


@dataclass(frozen=True)
class Fact:
    kind: str
    value: str


@dataclass
class Dialogue:
    source: str
    dialogue_id: str
    customer_turns: list[str]
    facts: list[Fact]
    ask: str  # the turn where the customer first states what they want


@dataclass
class Score:
    facts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    outcomes: list[int] = field(default_factory=lambda: [0, 0])
    longest: int = 0

    def add(self, other: "Score") -> None:
        for kind, (kept, total) in other.facts.items():
            self.facts[kind][0] += kept
            self.facts[kind][1] += total
        self.outcomes[0] += other.outcomes[0]
        self.outcomes[1] += other.outcomes[1]
        self.longest = max(self.longest, other.longest)

    def fact_share(self, kind: str | None = None) -> float:
        pairs = [self.facts[kind]] if kind else list(self.facts.values())
        total = sum(t for _, t in pairs)
        return sum(k for k, _ in pairs) / total if total else 0.0

    def outcome_share(self) -> float:
        return self.outcomes[0] / self.outcomes[1] if self.outcomes[1] else 0.0

    def overall(self) -> float:
        return (self.fact_share() + self.outcome_share()) / 2


def fact_kind(slot: str) -> str | None:
    return next((kind for kind, pattern in FACT_KINDS if pattern.search(slot)), None)


def dialogues_load(root: Path, per_source: int = PER_SOURCE, skip: int = 0) -> list[Dialogue]:
    """The test split's single-service dialogues of each source, in id order: those with at
    least three customer turns and two key facts, `per_source` of each after the first
    `skip` (the patterns were written looking at the first PER_SOURCE; those after them are
    unseen)."""
    found: dict[str, list[Dialogue]] = defaultdict(list)
    for path in sorted((root / "test").glob("dialogues_*.json")):
        for raw in json.loads(path.read_text()):
            dialogue = dialogue_read(raw)
            if dialogue is not None:
                found[dialogue.source].append(dialogue)
    return [d for source in SOURCES for d in found[source][skip : skip + per_source]]


def dialogue_read(raw: dict[str, Any]) -> Dialogue | None:
    if len(raw["services"]) != 1:
        return None
    source = raw["services"][0].split("_")[0]
    if source not in SOURCES:
        return None
    turns, facts, ask = [], [], ""
    for turn in raw["turns"]:
        if turn["speaker"] != "USER":
            continue
        text = turn["utterance"]
        turns.append(text)
        for frame in turn["frames"]:
            for slot in frame["slots"]:
                kind = fact_kind(slot["slot"])
                value = text[slot["start"] : slot["exclusive_end"]]
                if kind and Fact(kind, value) not in facts:
                    facts.append(Fact(kind, value))
            if not ask and any(a["act"] == "INFORM_INTENT" for a in frame["actions"]):
                ask = text
    if len(turns) < 3 or len(facts) < 2 or not ask:
        return None
    return Dialogue(source, raw["dialogue_id"], turns, facts, ask)


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[“”\"'.,!?;:()]", " ", text.lower()).split())


def content_words(text: str) -> set[str]:
    return {w for w in normalised(text).split() if len(w) > 2 and w not in STOPWORDS}


def score(dialogue: Dialogue, summary: str) -> Score:
    result = Score(longest=len(summary.split()))
    said = f" {normalised(summary)} "
    for fact in dialogue.facts:
        result.facts[fact.kind][1] += 1
        result.facts[fact.kind][0] += f" {normalised(fact.value)} " in said
    wanted = content_words(dialogue.ask)
    result.outcomes = [int(len(wanted & content_words(summary)) * 3 >= len(wanted) * 2), 1]
    return result


def first_message(turns: list[str]) -> str:
    """The baseline: the first customer turn that says something, cut to the word limit."""
    ask = next((t for t in turns if len(t.split()) > 3), turns[0])
    return clip_words(ask, MAX_WORDS)


def score_all(dialogues: Iterable[Dialogue], summarise: Callable[[list[str]], str]) -> Score:
    total = Score()
    for dialogue in dialogues:
        total.add(score(dialogue, summarise(dialogue.customer_turns)))
    return total


def extractive(quote_words: int) -> Callable[[list[str]], str]:
    return lambda turns: customer_summary(turns, quote_words=quote_words)


@dataclass
class Report:
    dialogues: int
    baseline: Score
    held_out: Score
    chosen: dict[str, int]  # the quote length picked without each source
    per_source: dict[str, tuple[Score, Score]]  # baseline, held-out
    chosen_on_all: int


def evaluate(dialogues: list[Dialogue]) -> Report:
    """Each source is scored with the choice that did best on all the others."""
    by_source: dict[str, list[Dialogue]] = defaultdict(list)
    for dialogue in dialogues:
        by_source[dialogue.source].append(dialogue)

    def best(pool: list[Dialogue]) -> int:
        return max(QUOTE_CHOICES, key=lambda q: (score_all(pool, extractive(q)).overall(), -q))

    baseline, held_out = Score(), Score()
    chosen, per_source = {}, {}
    for source, own in by_source.items():
        others = [d for d in dialogues if d.source != source]
        chosen[source] = best(others)
        source_baseline = score_all(own, first_message)
        source_held_out = score_all(own, extractive(chosen[source]))
        baseline.add(source_baseline)
        held_out.add(source_held_out)
        per_source[source] = (source_baseline, source_held_out)
    return Report(len(dialogues), baseline, held_out, chosen, per_source, best(dialogues))
