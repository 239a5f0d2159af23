"""A real HTTP server in a thread that speaks the OpenAI chat-completions wire format, with
scripted answers: completions (text, tool calls, log-probabilities, refusals), error statuses,
hangs past the client's timeout and bodies that are not JSON."""

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.threaded_http import QuietHandler, http_serve


@dataclass(frozen=True)
class Status:
    """Answer with this HTTP status and an OpenAI-style error body."""

    code: int


@dataclass(frozen=True)
class Hang:
    """Answer only after this long (past the client's timeout)."""

    seconds: float


@dataclass(frozen=True)
class Raw:
    """Answer 200 with these bytes as the body."""

    body: bytes


Answer = dict[str, Any] | Status | Hang | Raw


def completion(
    content: str | None = None,
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    logprobs: list[tuple[str, float]] | None = None,
    refusal: str | None = None,
    finish_reason: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if refusal:
        message["refusal"] = refusal
    choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
        "logprobs": None,
    }
    if logprobs is not None:
        choice["logprobs"] = {
            "content": [
                {
                    "token": token,
                    "logprob": logprob,
                    "bytes": list(token.encode()),
                    "top_logprobs": [],
                }
                for token, logprob in logprobs
            ]
        }
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "test-model",
        "choices": [choice],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def reply(text: str, confidence: float | None = None, **extra: Any) -> dict[str, Any]:
    """A final answer in the assistant's JSON format."""
    answer: dict[str, Any] = {"reply": text}
    if confidence is not None:
        answer["confidence"] = confidence
    return completion(json.dumps(answer), **extra)


def tool_call(
    name: str, arguments: dict[str, Any] | str, call_id: str = "call_1"
) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}


def calling(*calls: dict[str, Any]) -> dict[str, Any]:
    return completion(None, tool_calls=list(calls))


@dataclass
class ScriptedModel:
    """Answers each request with the next scripted answer, or with `responder(request)` when
    one is set; keeps every request body it received."""

    base_url: str = ""
    script: list[Answer] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], Answer] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, request: dict[str, Any]) -> Answer:
        with self.lock:
            self.requests.append(request)
            if self.responder is not None:
                return self.responder(request)
            if not self.script:
                return Status(500)
            return self.script.pop(0)


@contextlib.contextmanager
def model_serve() -> Iterator[ScriptedModel]:
    model = ScriptedModel()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            answer = model.next_answer(request)
            status, body = 200, b""
            if isinstance(answer, Hang):
                time.sleep(answer.seconds)
                answer = completion(json.dumps({"reply": "too late", "confidence": 0.9}))
            if isinstance(answer, Status):
                status = answer.code
                error = {"message": f"scripted {answer.code}", "type": "server_error"}
                body = json.dumps({"error": error}).encode()
            elif isinstance(answer, Raw):
                body = answer.body
            else:
                body = json.dumps(answer).encode()
            self.answer(status, body, "application/json")

    with http_serve(Handler) as base_url:
        model.base_url = f"{base_url}/v1"
        yield model
