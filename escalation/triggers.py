"""The four moments to escalate, as pure functions over a conversation's state and the policy.

Each returns a TriggerResult: kind, fired, score, threshold and evidence a person can read. No I/O
here: escalation/decisions.py gathers the state, asks these, and acts on the answer."""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from escalation.detectors import distress as distress_detector
from escalation.detectors import human_request, restatement
from escalation.detectors.encoder import Vector

LOW_CONFIDENCE = "low_confidence"
HUMAN_REQUESTED = "human_requested"
OUT_OF_SCOPE = "out_of_scope"
DISTRESS = "distress"
KIND_LABELS = {
    LOW_CONFIDENCE: "Low confidence",
    HUMAN_REQUESTED: "Customer asked for a human",
    OUT_OF_SCOPE: "Action outside the AI's scope",
    DISTRESS: "Distress",
}
HARD_KINDS = frozenset({HUMAN_REQUESTED, OUT_OF_SCOPE})


@dataclass(frozen=True)
class TriggerResult:
    kind: str
    fired: bool
    score: float
    threshold: float | None
    evidence: str

    @property
    def is_hard(self) -> bool:
        return self.kind in HARD_KINDS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Thresholds:
    """The soft thresholds in force now (after capacity moved them) and the policy's fixed ones."""

    low_confidence: float
    distress: float
    repeat_similarity: float
    reask_limit: int


@dataclass(frozen=True)
class Turn:
    sender: str  # a Message.Sender value
    text: str
    confidence: float | None = None
    vector: Vector | None = None  # the stored Message.encoding; None: encoded when compared


@dataclass(frozen=True)
class Scope:
    """The AI's authorised actions and their parameter limits: {"issue_credit": {"amount": 50}}."""

    actions: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)


def low_confidence(*, confidence: float | None, threshold: float) -> TriggerResult:
    if confidence is None:
        return TriggerResult(LOW_CONFIDENCE, False, 0.0, threshold, "no confidence given")
    fired = confidence < threshold
    relation = "below" if fired else "at or above"
    return TriggerResult(
        LOW_CONFIDENCE,
        fired,
        round(1.0 - confidence, 4),
        threshold,
        f"AI confidence {confidence:.2f} is {relation} the threshold {threshold:.2f}",
    )


def human_requested(*, text: str, vector: Vector | None = None) -> TriggerResult:
    signal = human_request.detect_human_request(text, vector)
    return TriggerResult(HUMAN_REQUESTED, signal.fired, signal.score, None, signal.evidence)


def out_of_scope(*, name: str, params: Mapping[str, Any], scope: Scope) -> TriggerResult:
    """Fired, with the rule as evidence, when the action is not authorised or a limit is
    exceeded."""
    limits = scope.actions.get(name)
    if limits is None:
        return TriggerResult(
            OUT_OF_SCOPE, True, 1.0, None, f"blocked by rule: {name} is not in the AI's scope"
        )
    for param, maximum in limits.items():
        value = _number(params.get(param))
        if value is None and param in params:
            return TriggerResult(
                OUT_OF_SCOPE,
                True,
                1.0,
                float(maximum),
                f"blocked by rule {name}.{param} ≤ {maximum:f}: {params[param]!r} is not a number",
            )
        if value is not None and value > maximum:
            return TriggerResult(
                OUT_OF_SCOPE,
                True,
                1.0,
                float(maximum),
                f"blocked by rule {name}.{param} ≤ {maximum:f} (asked {value:f})",
            )
    return TriggerResult(OUT_OF_SCOPE, False, 0.0, None, f"{name} is within the AI's scope")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def reask_count(turns: Sequence[Turn], *, threshold: float) -> tuple[int, str]:
    """How many customer turns restate an earlier customer question that the AI had answered in
    between, and the evidence for the latest such re-ask."""
    count, evidence = 0, ""
    asked: list[Turn] = []  # customer questions the AI has answered since
    pending: list[Turn] = []  # customer turns not yet answered
    for turn in turns:
        if turn.sender == "customer":
            for earlier in asked:
                signal = restatement.is_restatement(
                    earlier.text, turn.text, earlier.vector, turn.vector, threshold=threshold
                )
                if signal.fired:
                    count += 1
                    evidence = f're-asked after an answer: "{_clip(turn.text)}"'
                    break
            pending.append(turn)
        elif turn.sender == "ai" and pending:
            asked.extend(pending)
            pending = []
    return count, evidence


def distress(*, turns: Sequence[Turn], thresholds: Thresholds) -> TriggerResult:
    """Frustrated language in the latest customer turn, or repeated re-asks in the conversation."""
    latest = next((t for t in reversed(turns) if t.sender == "customer"), None)
    if latest is None:
        return TriggerResult(DISTRESS, False, 0.0, thresholds.distress, "no customer message")
    signal = distress_detector.detect_distress(
        latest.text, latest.vector, threshold=thresholds.distress
    )
    if signal.fired:
        return TriggerResult(DISTRESS, True, signal.score, thresholds.distress, signal.evidence)
    reasks, evidence = reask_count(turns, threshold=thresholds.repeat_similarity)
    if reasks >= thresholds.reask_limit:
        return TriggerResult(
            DISTRESS,
            True,
            max(signal.score, thresholds.distress),
            thresholds.distress,
            f"{reasks} re-asks; {evidence}",
        )
    return TriggerResult(DISTRESS, False, signal.score, thresholds.distress, signal.evidence)


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def triggers_for_customer_turn(
    *, turns: Sequence[Turn], thresholds: Thresholds
) -> list[TriggerResult]:
    """A customer turn can ask for a person or show distress."""
    latest = turns[-1]
    return [
        human_requested(text=latest.text, vector=latest.vector),
        distress(turns=turns, thresholds=thresholds),
    ]


def handback_graced(results: Sequence[TriggerResult]) -> list[TriggerResult]:
    """Within the grace after an agent handed the conversation back to the AI, soft signals are
    reported but do not fire: the agent judged the AI can carry on, and a low-confidence reply
    or the same frustration must not send the case straight back. Hard ones still fire."""
    return [
        TriggerResult(
            r.kind,
            False,
            r.score,
            r.threshold,
            f"{r.evidence} (handed back to the AI by an agent: within the grace, not escalated)",
        )
        if r.fired and not r.is_hard
        else r
        for r in results
    ]
