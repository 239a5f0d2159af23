"""The shop's actions, as tools an assistant calls: each declared once (name, what it does, its
parameters as a schema, the function that performs it). Every call goes through ToolGate, which
checks it against the AI's authorised scope before it runs (the same check as the Bot API's
/actions) and records it as an action with its outcome and result."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from escalation import decisions, turns
from escalation.models import AIAction, Conversation, Message

# The demo shop's orders: number → (status, what the customer is told).
DEMO_ORDERS: dict[str, tuple[str, str]] = {
    "1234": ("delayed", "is delayed at the regional depot; the new delivery date is Saturday"),
    "1042": ("delivered", "was delivered on Monday and signed for at the front door"),
    "5521": ("lost", "has been marked lost in transit by the carrier"),
    "7788": ("in_transit", "is on its way and should arrive tomorrow"),
}


@dataclass(frozen=True)
class ToolRun:
    """What performing a tool did: whether it worked and the result, in words."""

    succeeded: bool
    detail: str


class LookupOrder(BaseModel):
    order: str = Field(description="The order number, digits only, e.g. 1234.")


class IssueCredit(BaseModel):
    amount: float = Field(gt=0, description="The amount to credit, e.g. 30.")
    currency: Literal["EUR", "USD"] = Field(default="EUR")
    order: str | None = Field(default=None, description="The order the credit is for.")


def lookup_order(params: LookupOrder) -> ToolRun:
    found = DEMO_ORDERS.get(params.order.strip().lstrip("#"))
    if found is None:
        return ToolRun(False, f"no order {params.order}")
    status, detail = found
    return ToolRun(True, f"{status.replace('_', ' ')}: order {params.order} {detail}")


def issue_credit(params: IssueCredit) -> ToolRun:
    about = f" for order {params.order}" if params.order else ""
    return ToolRun(True, f"credited {amount_label(params.amount)} {params.currency}{about}")


def amount_label(amount: float) -> int | float:
    return int(amount) if amount == int(amount) else amount


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: type[BaseModel]
    run: Callable[[Any], ToolRun]

    def schema(self) -> dict[str, Any]:
        """The tool as the OpenAI chat-completions API declares it."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters.model_json_schema(),
            },
        }


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in [
        Tool(
            name="lookup_order",
            description="Look an order up by its number: its status and delivery.",
            parameters=LookupOrder,
            run=lookup_order,
        ),
        Tool(
            name="issue_credit",
            description="Credit the customer's account, e.g. for a late or lost order.",
            parameters=IssueCredit,
            run=issue_credit,
        ),
    ]
}


INVALID_ARGUMENTS = "invalid arguments"


@dataclass(frozen=True)
class ToolResult:
    """One call as it ended: recorded, with its outcome, result detail or blocking rule."""

    name: str
    outcome: str
    detail: str = ""
    rule: str = ""
    escalated: bool = False

    @property
    def succeeded(self) -> bool:
        return self.outcome == AIAction.Outcome.SUCCEEDED

    @property
    def arguments_were_invalid(self) -> bool:
        return self.outcome == AIAction.Outcome.FAILED and self.detail.startswith(INVALID_ARGUMENTS)

    def for_model(self) -> str:
        """What the model is told about its call."""
        answer = {"outcome": self.outcome}
        if self.rule:
            answer["rule"] = self.rule
        if self.detail:
            answer["detail"] = self.detail
        return json.dumps(answer, ensure_ascii=False)


@dataclass
class ToolGate:
    """The only way an assistant acts, for one customer turn: the scope check before the tool
    runs, and the record after. A call the assistant repeats (the turn's task ran twice) is
    answered from its record, not performed again."""

    conversation: Conversation
    turn: Message
    results: list[ToolResult] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        """A call handed the conversation off (a blocked one always does): stop answering."""
        return any(result.escalated for result in self.results)

    def call(self, name: str, params: dict[str, Any]) -> ToolResult:
        external_id = f"turn-{self.turn.pk}-{len(self.results)}"
        stored = self.conversation.actions.filter(external_id=external_id).first()
        if stored is None:
            stored = self.perform(external_id, name, params)
        result = ToolResult(
            name=stored.name,
            outcome=stored.outcome,
            detail=stored.detail,
            rule=stored.rule,
            escalated=bool(stored.decision and stored.decision["escalate"]),
        )
        self.results.append(result)
        return result

    def perform(self, external_id: str, name: str, params: dict[str, Any]) -> AIAction:
        outcome, detail = None, ""  # the record marks what the scope check blocks
        if not decisions.action_scope_check(name=name, params=params).fired:
            outcome, detail = tool_run(name, params)
        action, _ = turns.action_record(
            conversation=self.conversation,
            external_id=external_id,
            name=name,
            params=params,
            outcome=outcome,
            detail=detail,
        )
        return action


def tool_run(name: str, params: dict[str, Any]) -> tuple[str, str]:
    """Perform an authorised tool: its outcome and result detail. Arguments that do not fit its
    schema fail, saying why, and nothing is performed."""
    tool = TOOLS.get(name)
    if tool is None:
        return AIAction.Outcome.FAILED, f"the shop has no tool {name}"
    try:
        arguments = tool.parameters.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
            for error in exc.errors()[:3]
        )
        return AIAction.Outcome.FAILED, f"{INVALID_ARGUMENTS}: {problems}"
    run = tool.run(arguments)
    return (AIAction.Outcome.SUCCEEDED if run.succeeded else AIAction.Outcome.FAILED), run.detail
