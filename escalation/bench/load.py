"""Figures measured over loopback against the bench's daphne: the Bot API under concurrent
bots, escalation to a connected agent's screen, the fan-out to many agent sockets, and the
soak run of bots and agents working at once. One asyncio client process (aiohttp)."""

import asyncio
import itertools
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import psutil
from yarl import URL

from agents_console.queue import NO_TEAM_GROUP
from escalation.bench import data
from escalation.bench.report import Figure, percentile

CONCURRENT_BOTS = 8
FRAME_TIMEOUT = 30.0
WAVE = 20  # agent sockets opening at the same moment


class BenchBroken(Exception):
    """The benchmark could not measure: an unexpected answer, a closed socket, a timeout."""


def ms(seconds: float) -> float:
    return seconds * 1000


def new_session(cookies: dict[str, str] | None = None, base_url: str = "") -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    if cookies:
        jar.update_cookies(cookies, URL(base_url))
    return aiohttp.ClientSession(
        cookie_jar=jar,
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=60),
    )


def bot_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


class AgentSocket:
    """A console socket as the agent's browser holds it: session cookie, same Origin, and read
    all the time. aiohttp answers daphne's pings only inside receive(), and daphne closes a
    socket whose pong is 30 s late: a socket left unread while a thousand others open would be
    closed under the bench, which a browser's never is."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: asyncio.Queue[aiohttp.WSMessage] = asyncio.Queue()
        self.reading = asyncio.ensure_future(self.read())

    @classmethod
    async def open(
        cls, session: aiohttp.ClientSession, base_url: str, path: str = "/ws/console/queue/"
    ) -> "AgentSocket":
        ws_url = base_url.replace("http://", "ws://") + path
        return cls(await session.ws_connect(ws_url, origin=base_url, autoping=True))

    async def read(self) -> None:
        while True:
            message = await self.ws.receive()
            self.frames.put_nowait(message)
            if message.type in CLOSED:
                return

    async def receive(self) -> aiohttp.WSMessage:
        message = await asyncio.wait_for(self.frames.get(), FRAME_TIMEOUT)
        if message.type in CLOSED:
            raise BenchBroken(f"an agent socket closed while waiting: {message.type!r}")
        return message

    async def arrival(self, marker: str) -> float:
        """When the first frame containing `marker` arrived (perf_counter)."""
        while True:
            message = await self.receive()
            if message.type == aiohttp.WSMsgType.TEXT and marker in message.data:
                return time.perf_counter()

    async def close(self) -> None:
        self.reading.cancel()
        await self.ws.close()


async def post_json(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, Any]:
    async with session.post(url, json=body, headers=headers) as response:
        payload = await response.json() if response.content_type == "application/json" else None
        return response.status, payload


async def conversation_open(
    session: aiohttp.ClientSession, base_url: str, key: str, external_id: str, name: str
) -> int:
    status, body = await post_json(
        session,
        f"{base_url}/api/v1/conversations",
        {
            "external_id": external_id,
            "channel": "web",
            "customer": {"external_id": external_id, "name": name, "verified": True},
        },
        bot_headers(key),
    )
    if status != 201:
        raise BenchBroken(f"opening a conversation answered {status}: {body}")
    return int(body["id"])


# The Bot API ---------------------------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def add(self, other: "Load") -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds


async def closed_loop(clients: int, seconds: float, request: Any) -> Load:
    """`clients` concurrent clients, each sending its next request when the last is answered."""
    load = Load()
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        for n in itertools.count():
            if time.perf_counter() >= deadline:
                return
            start = time.perf_counter()
            timed = await request(index, n)  # its own latency, when only part of it counts
            load.latencies.append(time.perf_counter() - start if timed is None else timed)

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    load.seconds = time.perf_counter() - start
    return load


async def bot_api(base_url: str, key: str, *, seconds: float) -> list[Figure]:
    async with new_session() as session:
        conversations = [
            await conversation_open(session, base_url, key, f"api-{i}", f"API customer {i}")
            for i in range(CONCURRENT_BOTS)
        ]

        def turn(n: int) -> dict[str, Any]:
            is_customer = n % 2 == 0
            body: dict[str, Any] = {
                "external_id": uuid.uuid4().hex,
                "sender": "customer" if is_customer else "ai",
                "text": data.customer_turn(n) if is_customer else data.ai_turn(n),
            }
            if not is_customer:
                body["confidence"] = 0.9
            return body

        async def message(index: int, n: int) -> None:
            url = f"{base_url}/api/v1/conversations/{conversations[index]}/messages"
            status, answer = await post_json(session, url, turn(n), bot_headers(key))
            if status != 201 or answer["decision"]["escalate"]:
                raise BenchBroken(f"POST …/messages answered {status}: {answer}")

        async def insert(index: int, n: int) -> None:
            url = f"{base_url}/bench/conversations/{conversations[index]}/insert"
            status, _ = await post_json(session, url, turn(n), bot_headers(key))
            if status != 201:
                raise BenchBroken(f"the baseline insert answered {status}")

        async def escalating(index: int, n: int) -> float:
            """A customer asking for a person in a conversation of its own (opened first, not
            timed): the turn that hands off."""
            name = f"api-escalating-{index}-{n}-{uuid.uuid4().hex[:6]}"
            conversation_id = await conversation_open(session, base_url, key, name, name)
            start = time.perf_counter()
            await escalate(session, base_url, key, conversation_id)
            return time.perf_counter() - start

        await closed_loop(CONCURRENT_BOTS, min(1.0, seconds / 3), insert)  # warm all up
        await closed_loop(CONCURRENT_BOTS, min(1.0, seconds / 3), message)
        await closed_loop(CONCURRENT_BOTS, min(1.0, seconds / 3), escalating)
        # In alternating one-second slices: all see the machine as it is over the whole run.
        baseline, api, escalations = Load(), Load(), Load()
        slices = max(1, round(seconds))
        for _ in range(slices):
            baseline.add(await closed_loop(CONCURRENT_BOTS, seconds / slices, insert))
            api.add(await closed_loop(CONCURRENT_BOTS, seconds / slices, message))
            escalations.add(await closed_loop(CONCURRENT_BOTS, seconds / slices, escalating))

    label = "Bot API POST …/messages, 8 clients"
    return [
        Figure(
            "api_messages_throughput",
            f"{label}: throughput (one-row insert as baseline)",
            api.throughput,
            baseline.throughput,
            "req/s",
            "ratio>=",
            0.6,
        ),
        Figure(
            "api_messages_p50_ms",
            f"{label}: p50",
            ms(percentile(api.latencies, 50)),
            ms(percentile(baseline.latencies, 50)),
            "ms",
        ),
        Figure(
            "api_messages_p99_ms",
            f"{label}: p99",
            ms(percentile(api.latencies, 99)),
            ms(percentile(baseline.latencies, 99)),
            "ms",
            "ratio<=",
            4,
        ),
        Figure(
            "api_escalating_p99_ms",
            f"{label}: p99 of a turn that hands off (a plain turn's p99 as baseline)",
            ms(percentile(escalations.latencies, 99)),
            ms(percentile(api.latencies, 99)),
            "ms",
            "ratio<=",
            2,
        ),
    ]


# Escalation to the agent's screen ------------------------------------------------------------


async def escalate(
    session: aiohttp.ClientSession, base_url: str, key: str, conversation_id: int
) -> None:
    status, answer = await post_json(
        session,
        f"{base_url}/api/v1/conversations/{conversation_id}/messages",
        {"external_id": uuid.uuid4().hex, "sender": "customer", "text": data.ASK_FOR_A_PERSON},
        bot_headers(key),
    )
    if status != 201 or not answer["decision"]["escalate"]:
        raise BenchBroken(f"asking for a person answered {status}: {answer}")


async def raw_broadcast(session: aiohttp.ClientSession, base_url: str, marker: str) -> None:
    url = f"{base_url}/bench/group-send"
    async with session.post(url, params={"group": NO_TEAM_GROUP, "marker": marker}) as response:
        if response.status != 204:
            raise BenchBroken(f"the baseline group_send answered {response.status}")


@dataclass(frozen=True)
class Delivery:
    sent: float  # the request left the client
    answered: float  # its response arrived
    arrivals: list[float]  # each socket's frame containing the marker arrived

    def after_request(self) -> list[float]:
        return [arrival - self.sent for arrival in self.arrivals]

    def after_response(self) -> list[float]:
        return [arrival - self.answered for arrival in self.arrivals]


async def delivery(sockets: list[AgentSocket], marker: str, send: Any) -> Delivery:
    """Send a request that broadcasts, and time each socket's frame containing `marker`."""
    waiting = [asyncio.ensure_future(socket.arrival(marker)) for socket in sockets]
    await asyncio.sleep(0)
    sent = time.perf_counter()
    await send()
    answered = time.perf_counter()
    return Delivery(sent, answered, list(await asyncio.gather(*waiting)))


async def handoff_shown(
    base_url: str, key: str, agent_cookies: dict[str, str], *, samples: int
) -> list[Figure]:
    async with new_session() as bots, new_session(agent_cookies, base_url) as agent:
        ws = await AgentSocket.open(agent, base_url)
        await ws.receive()  # the queue as it stands
        names = [f"Shown customer {i} {uuid.uuid4().hex[:6]}" for i in range(samples)]
        conversations = [
            await conversation_open(bots, base_url, key, f"shown-{name}", name) for name in names
        ]
        shown, end_to_end, baseline = [], [], []
        for name, conversation_id in zip(names, conversations, strict=True):
            marker = uuid.uuid4().hex
            raw = await delivery([ws], marker, lambda m=marker: raw_broadcast(bots, base_url, m))
            baseline += raw.after_request()
            escalation = await delivery(
                [ws],
                f'data-new-handoff="{name}"',
                lambda c=conversation_id: escalate(bots, base_url, key, c),
            )
            shown += escalation.after_response()
            end_to_end += escalation.after_request()
        await ws.close()
    label = "handoff on the agent's screen after the API's answer (raw group_send round trip)"
    return [
        Figure(
            f"handoff_shown_p{q}_ms",
            f"{label}: p{q}",
            ms(percentile(shown, q)),
            ms(percentile(baseline, q)),
            "ms",
            "ratio<=" if q == 99 else "info",
            3 if q == 99 else None,
        )
        for q in (50, 99)
    ] + [
        Figure(
            "handoff_shown_end_to_end_p99_ms",
            "handoff on the agent's screen after the bot's request: p99",
            ms(percentile(end_to_end, 99)),
            ms(percentile(baseline, 99)),
            "ms",
        )
    ]


# Many agent sockets --------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def sockets_open(
    base_url: str, cookies: list[dict[str, str]]
) -> tuple[list[aiohttp.ClientSession], list[AgentSocket]]:
    sessions = [new_session(c, base_url) for c in cookies]
    sockets: list[AgentSocket] = []
    for start in range(0, len(sessions), WAVE):  # connect in waves, as a shift starts
        batch = sessions[start : start + WAVE]
        opened = await asyncio.gather(*(AgentSocket.open(s, base_url) for s in batch))
        await asyncio.gather(*(ws.receive() for ws in opened))  # connected: the queue arrived
        sockets += opened
    return sessions, sockets


async def broadcast_fan_out(
    base_url: str,
    key: str,
    cookies: list[dict[str, str]],
    *,
    baseline_sockets: int,
    server_pid: int,
) -> list[Figure]:
    """One escalation broadcast to `baseline_sockets`, then to len(cookies) agent sockets."""
    measured = {}
    async with new_session() as bots:
        for count in (baseline_sockets, len(cookies)):
            sessions, sockets = await sockets_open(base_url, cookies[:count])
            try:
                name = f"Fan-out customer {count} {uuid.uuid4().hex[:6]}"
                conversation_id = await conversation_open(bots, base_url, key, name, name)
                times = (
                    await delivery(
                        sockets,
                        f'data-new-handoff="{name}"',
                        lambda c=conversation_id: escalate(bots, base_url, key, c),
                    )
                ).after_request()
                measured[count] = (ms(percentile(times, 99)), rss_mb(server_pid))
            finally:
                await asyncio.gather(*(ws.close() for ws in sockets))
                await asyncio.gather(*(s.close() for s in sessions))
    many = len(cookies)
    return [
        Figure(
            "sockets_broadcast_p99_ms",
            f"one broadcast to {many:,} agent sockets: p99 ({baseline_sockets} as baseline)",
            measured[many][0],
            measured[baseline_sockets][0],
            "ms",
            "ratio<=",
            10,
        ),
        Figure(
            "server_memory_mb",
            f"daphne memory with {many:,} agent sockets ({baseline_sockets} as baseline)",
            measured[many][1],
            measured[baseline_sockets][1],
            "MB",
            "value<=",
            400,
        ),
    ]


# Soak ----------------------------------------------------------------------------------------


@dataclass
class Soak:
    messages_in: int = 0  # turns the API and agent replies the console acknowledged
    handoffs: int = 0
    resolved: int = 0
    errors: list[str] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)

    def error(self, text: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(text)


CASE_URL = re.compile(r"/console/cases/(\d+)/$")


async def soak_bot(
    session: aiohttp.ClientSession, base_url: str, key: str, index: int, soak: Soak, until: float
) -> None:
    """A bot's conversations: a few turns each, one in four ending with an ask for a person
    (then the customer keeps writing to the human)."""
    rng = random.Random(index)  # noqa: S311 - load pattern, not security
    for number in itertools.count():
        if time.perf_counter() >= until:
            return
        name = f"Soak customer {index}-{number}"
        conversation_id = await conversation_open(
            session, base_url, key, f"soak-{index}-{number}", name
        )
        url = f"{base_url}/api/v1/conversations/{conversation_id}/messages"
        plan = [
            ("customer", data.customer_turn(n)) if n % 2 == 0 else ("ai", data.ai_turn(n))
            for n in range(rng.randint(2, 8))
        ]
        if rng.random() < 0.25:
            plan += [("customer", data.ASK_FOR_A_PERSON), ("customer", data.customer_turn(99))]
        for n, (sender, text) in enumerate(plan):
            body: dict[str, Any] = {"external_id": f"t{n}", "sender": sender, "text": text}
            if sender == "ai":
                body["confidence"] = 0.9
            try:
                status, answer = await post_json(session, url, body, bot_headers(key))
            except aiohttp.ClientError as exc:
                soak.error(f"bot {index}: {exc!r}")
                continue
            if status != 201:
                soak.error(f"bot {index}: POST …/messages answered {status}: {answer}")
                continue
            soak.messages_in += 1
            if text == data.ASK_FOR_A_PERSON:
                if not answer["decision"]["escalate"]:
                    soak.error(f"bot {index}: an ask for a person did not hand off")
                soak.handoffs += 1


async def soak_agent(
    session: aiohttp.ClientSession, base_url: str, soak: Soak, until: float
) -> None:
    """An agent with the queue open: takes the next case, reads it, answers, resolves."""
    ws = await AgentSocket.open(session, base_url)
    async with session.get(f"{base_url}/console/") as response:
        await response.read()
    token = next(c.value for c in session.cookie_jar if c.key == "csrftoken")
    headers = {"X-CSRFToken": token}
    async with session.post(
        f"{base_url}/console/presence/", data={"presence": "available"}, headers=headers
    ) as response:
        await response.read()
    try:
        while time.perf_counter() < until:
            async with session.post(
                f"{base_url}/console/claim-next/", headers=headers, allow_redirects=False
            ) as response:
                match = CASE_URL.search(response.headers.get("Location", ""))
            if match is None:
                await asyncio.sleep(0.2)  # nothing waiting
                continue
            case = f"{base_url}/console/cases/{match[1]}"
            async with session.get(f"{case}/") as response:
                if response.status != 200:
                    soak.error(f"the case screen answered {response.status}")
                await response.read()
            async with session.post(
                f"{case}/reply/",
                data={"text": "Hello, I can see everything you told the assistant."},
                headers=headers | {"HX-Request": "true"},
            ) as response:
                body = await response.text()
                if response.status != 200 or 'role="alert"' in body:
                    soak.error(f"an agent reply was refused ({response.status})")
                else:
                    soak.messages_in += 1
            async with session.post(
                f"{case}/resolve/",
                data={"resolution": "resolved"},
                headers=headers,
                allow_redirects=False,
            ) as response:
                if response.status != 302:
                    soak.error(f"resolving answered {response.status}")
                else:
                    soak.resolved += 1
    finally:
        await ws.close()


async def soak_run(
    base_url: str,
    key: str,
    agent_cookies: list[dict[str, str]],
    *,
    seconds: float,
    bots: int,
    server_pid: int,
) -> Soak:
    soak = Soak()
    until = time.perf_counter() + seconds

    async def sample_memory() -> None:
        while time.perf_counter() < until:
            soak.memory_mb.append(rss_mb(server_pid))
            await asyncio.sleep(1)

    async with new_session() as bot_session:
        agent_sessions = [new_session(c, base_url) for c in agent_cookies]
        try:
            results = await asyncio.gather(
                sample_memory(),
                *(soak_bot(bot_session, base_url, key, i, soak, until) for i in range(bots)),
                *(soak_agent(s, base_url, soak, until) for s in agent_sessions),
                return_exceptions=True,
            )
        finally:
            await asyncio.gather(*(s.close() for s in agent_sessions))
    for result in results:
        if isinstance(result, BaseException):
            soak.error(repr(result))
    return soak
