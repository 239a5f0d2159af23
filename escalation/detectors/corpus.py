"""The training corpus of the detectors, rebuilt from public data files pinned by commit.

Each source is a public repository at one commit; its files are read by one reader per file
format and mapped to the three tasks by the labels their authors gave (intents, emotions,
paraphrase judgements). The source id is the group left out in leave-one-source-out validation,
so one source is one corpus, never a split of one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

SEED = 17
MAX_CHARS = 400
MIN_CHARS = 2
CAP_POSITIVE = 4000
CAP_NEGATIVE = 8000
CAP_PAIRS = 3000  # per source and label
TASKS = ("human_request", "distress")


class BuildError(Exception):
    pass


@dataclass(frozen=True)
class Labels:
    """Which tags make a row positive, and which negative (None: every tag not positive).

    A row with several tags is positive when any is positive, negative when all are negative;
    rows between (tags in neither set) are left out: their label is not clear.
    """

    positive: frozenset[str]
    negative: frozenset[str] | None = None
    neither: frozenset[str] = frozenset()  # left out: tags whose label is not clear

    def of(self, tags: frozenset[str]) -> bool | None:
        if tags & self.neither:
            return None
        if tags & self.positive:
            return True
        if self.negative is None:
            return False if tags else None
        if tags and tags <= self.negative:
            return False
        return None


def labels(
    positive: Iterable[str], negative: Iterable[str] | None = None, neither: Iterable[str] = ()
) -> Labels:
    return Labels(
        frozenset(positive), None if negative is None else frozenset(negative), frozenset(neither)
    )


@dataclass(frozen=True)
class File:
    """One data file (or the few files one reader needs together, such as text and labels)."""

    paths: tuple[str, ...]
    reader: str
    options: Mapping[str, Any] = field(default_factory=dict)
    human_request: Labels | None = None
    distress: Labels | None = None
    # Row readers: utterances of one intent make the repeat pairs; pair readers: their own pairs.
    repeat: bool = False

    @property
    def name(self) -> str:
        return self.paths[0]


@dataclass(frozen=True)
class Source:
    id: str
    repo: str
    commit: str
    licence: str
    domain: str
    register: str
    files: tuple[File, ...]


Row = tuple[str, frozenset[str]]
Pair = tuple[str, str, bool]


# Readers: one per file format. Each takes the bytes of a File's paths, in order.


def _text(blob: bytes) -> str:
    return blob.decode("utf-8-sig", errors="replace")


RASA_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def read_rasa(blobs: Sequence[bytes]) -> Iterator[Row]:
    """Rasa NLU training data, YAML (`- intent: x` / `examples: |`) or Markdown (`## intent:x`).

    Entity annotations keep their text: `[Paris](city)` reads "Paris".
    """
    for blob in blobs:
        intent: str | None = None
        for line in _text(blob).splitlines():
            stripped = line.strip()
            head = re.match(r"^(?:- intent:|## intent:)\s*(\S+)", stripped)
            if head:
                intent = head.group(1)
            elif line.startswith("##") or (line.startswith("- ") and ":" in line.split()[1]):
                intent = None  # another section: synonyms, regexes, lookups, responses
            elif intent and stripped.startswith("- "):
                yield RASA_ENTITY.sub(r"\1", stripped[2:]), frozenset({intent})


def read_csv(
    blobs: Sequence[bytes],
    text: str,
    label: str,
    delimiter: str = ",",
    flags: str | None = None,
    flag_tags: Mapping[str, str] | None = None,
) -> Iterator[Row]:
    """A CSV/TSV with a header: a text column and a label column.

    `flags` names an optional column of letters (Bitext's register flags); each letter listed in
    `flag_tags` adds that tag to the row, beside its label.
    """
    for row in csv.DictReader(io.StringIO(_text(blobs[0])), delimiter=delimiter):
        tags = {row[label].strip()}
        if flags and flag_tags:
            tags |= {tag for letter, tag in flag_tags.items() if letter in (row.get(flags) or "")}
        yield row[text], frozenset(tags)


def read_indexed(blobs: Sequence[bytes], columns: bool = False) -> Iterator[Row]:
    """Texts with label numbers, named by a mapping file.

    `columns=False` (TweetEval): a text file, a labels file (one number a line) and a mapping
    file (`0<TAB>anger`). `columns=True` (GoEmotions): one TSV of text, comma-separated numbers
    and an id, and a file of names, one a line.
    """
    if columns:
        table, names_blob = blobs
        names = [line.strip() for line in _text(names_blob).splitlines() if line.strip()]
        for line in _text(table).splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                yield parts[0], frozenset(names[int(n)] for n in parts[1].split(",") if n)
        return
    texts, numbers, mapping = blobs
    named = dict(line.split("\t", 1) for line in _text(mapping).splitlines() if "\t" in line)
    for text, number in zip(_text(texts).splitlines(), _text(numbers).splitlines(), strict=True):
        yield text, frozenset({named[number.strip()].strip()})


def read_sgd(blobs: Sequence[bytes]) -> Iterator[Row]:
    """Schema-Guided Dialogue files: every user turn; a turn that states an intent carries it."""
    for blob in blobs:
        for dialogue in json.loads(blob):
            for turn in dialogue["turns"]:
                if turn["speaker"] != "USER":
                    continue
                intents = {
                    frame["state"]["active_intent"]
                    for frame in turn["frames"]
                    if any(action["act"] == "INFORM_INTENT" for action in frame["actions"])
                }
                yield turn["utterance"], frozenset(intents or {"-"})


def read_watson(blobs: Sequence[bytes]) -> Iterator[Row]:
    """IBM Watson Assistant workspaces (dialog skills): `intents[].examples[].text`."""
    for blob in blobs:
        for intent in json.loads(blob).get("intents", []):
            for example in intent.get("examples", []):
                yield example["text"], frozenset({intent["intent"]})


def read_autopilot(blobs: Sequence[bytes]) -> Iterator[Row]:
    """Twilio Autopilot assistant schemas: `tasks[].samples[].taggedText` per task."""
    for blob in blobs:
        for task in json.loads(blob).get("tasks", []):
            for sample in task.get("samples", []):
                yield sample["taggedText"], frozenset({task["uniqueName"]})


def read_dialogflow(blobs: Sequence[bytes], language: str = "en") -> Iterator[Row]:
    """Dialogflow agent exports as a zip: CX (`intents/<name>/trainingPhrases/<lang>.json`)
    or ES (`intents/<name>_usersays_<lang>.json`); one intent per folder or file name."""
    cx = re.compile(rf"(?:^|/)intents/([^/]+)/trainingPhrases/{language}\.json$")
    es = re.compile(rf"(?:^|/)intents/([^/]+)_usersays_{language}\.json$")
    for blob in blobs:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            for name in sorted(archive.namelist()):
                if name.startswith("__MACOSX/"):
                    continue
                match = cx.search(name) or es.search(name)
                if not match:
                    continue
                data = json.loads(archive.read(name))
                phrases = data.get("trainingPhrases", data) if isinstance(data, dict) else data
                for phrase in phrases:
                    parts = phrase.get("parts") or phrase.get("data") or []
                    yield "".join(part["text"] for part in parts), frozenset({match.group(1)})


def read_pairs(
    blobs: Sequence[bytes], a: str, b: str, label: str, positive: str = "1", delimiter: str = "\t"
) -> Iterator[Pair]:
    """A CSV/TSV of sentence pairs with a paraphrase judgement."""
    reader = csv.DictReader(
        io.StringIO(_text(blobs[0])), delimiter=delimiter, quoting=csv.QUOTE_NONE
    )
    for row in reader:
        if row.get(a) and row.get(b) and row.get(label) is not None:
            yield row[a], row[b], row[label].strip() == positive


ROW_READERS: dict[str, Callable[..., Iterator[Row]]] = {
    "rasa": read_rasa,
    "csv": read_csv,
    "indexed": read_indexed,
    "sgd": read_sgd,
    "watson": read_watson,
    "autopilot": read_autopilot,
    "dialogflow": read_dialogflow,
}
PAIR_READERS: dict[str, Callable[..., Iterator[Pair]]] = {"pairs": read_pairs}


# Sources. Label mappings are the point of the table: keep them beside the file they read.

GOEMOTIONS_DISTRESS = labels(
    {"anger", "annoyance", "disgust", "disappointment", "disapproval"},
    {
        "neutral", "approval", "admiration", "amusement", "caring", "curiosity", "excitement",
        "gratitude", "joy", "love", "optimism", "pride", "realization", "relief",
    },
)  # fmt: skip
# IBM's content catalog ("General" and "Customer Care"), shared by many Watson samples.
# Contact_Us mixes "I would like to speak to customer service" with asks for a phone number.
WATSON_HANDOFF = labels(
    {"General_Connect_to_Agent"},
    neither={"Customer_Care_Contact_Us", "Business_Information-Contact_Us"},
)
WATSON_DISTRESS = labels(
    {"General_Negative_Feedback"},
    {"General_Greetings", "General_Ending", "General_Positive_Feedback", "General_About_You",
     "General_Agent_Capabilities", "General_Human_or_Bot", "General_Jokes", "welcome_greetings",
     "depart_greetings", "exiting"},
)  # fmt: skip
RASA_HANDOFF = labels({"human_handoff"})  # not check_human: "are you a bot?"
# rasa-demo's contact_sales mixes asks to be put through to a department ("Please connect me
# to someone from sales", a hand-off) with asks to buy or for prices: left out, not negative.
RASA_DEMO_HANDOFF = labels({"human_handoff"}, neither={"contact_sales"})

SOURCES: tuple[Source, ...] = (
    Source(
        id="rasa_demo",
        repo="RasaHQ/rasa-demo",
        commit="6935627237436726aeb16e44add8d9fab6e43a82",
        licence="GPL-3.0",
        domain="software",
        register="chat",
        files=(
            File(("data/nlu/nlu.yml",), "rasa", human_request=RASA_DEMO_HANDOFF, repeat=True),
            File(
                ("data/nlu/general.yml",),
                "rasa",
                human_request=RASA_HANDOFF,
                distress=labels(
                    {"react_negative"},
                    {"affirm", "greet", "thank", "bye", "explain", "react_positive"},
                ),
            ),
            File(("data/nlu/chitchat.yml",), "rasa", human_request=RASA_HANDOFF),
            File(("data/nlu/out_of_scope.yml",), "rasa", human_request=RASA_HANDOFF),
        ),
    ),
    Source(
        id="rasa_financial",
        repo="RasaHQ/financial-demo",
        commit="7627cebef1571d55855b886cf4ac20459af9566c",
        licence="Apache-2.0",
        domain="bank",
        register="chat",
        files=(File(("data/nlu/nlu.yml",), "rasa", human_request=RASA_HANDOFF, repeat=True),),
    ),
    Source(
        id="rasa_helpdesk",
        repo="RasaHQ/helpdesk-assistant",
        commit="2e9f2258c6648488bd02af86ea2803de5a9fde04",
        licence="Apache-2.0",
        domain="it_support",
        register="chat",
        files=(File(("data/nlu.yml",), "rasa", human_request=RASA_HANDOFF, repeat=True),),
    ),
    Source(
        id="rasa_insurance",
        repo="RasaHQ/insurance-demo",
        commit="03ec1d9b9f2a41a877381ad24bfd91a3994692b7",
        licence="GPL-3.0",
        domain="insurance",
        register="chat",
        files=(File(("data/nlu.yml",), "rasa", human_request=RASA_HANDOFF, repeat=True),),
    ),
    Source(
        id="rasa_retail",
        repo="RasaHQ/retail-demo",
        commit="4137920c1e7090d4571b27b79867cdea1428a159",
        licence="GPL-3.0",
        domain="shop",
        register="chat",
        files=(
            File(
                ("data/nlu.yml",),
                "rasa",
                human_request=RASA_HANDOFF,
                distress=labels(
                    {"chitchat/mood_unhappy"},
                    {"order_status", "product_stock", "greet", "chitchat/thanks", "affirm"},
                ),
                repeat=True,
            ),
        ),
    ),
    Source(
        id="bitext",
        repo="bitext/customer-support-llm-chatbot-training-dataset",
        # The last commit with the utterance file under 4 MiB; later ones replace it with a
        # larger one.
        commit="a6d326575633d55279c8811fcd1f4fc3ac5e716e",
        licence="CDLA-Sharing-1.0",
        domain="shop",
        register="synthetic",
        files=(
            File(
                ("data/train/Bitext_Sample_Customer_Support_Training_Dataset.csv",),
                "csv",
                {
                    "text": "instruction",
                    "label": "intent",
                    "flags": "tags",
                    "flag_tags": {"W": "offensive"},
                },
                # "contact_customer_service" mixes asks for a person with asks for opening hours.
                human_request=labels({"contact_human_agent"}, neither={"contact_customer_service"}),
                distress=labels({"offensive", "complaint"}),
                # Never repeat pairs: Bitext is reserved for the two classifiers.
            ),
        ),
    ),
    Source(
        id="watson_bank",
        repo="watson-developer-cloud/assistant-simple",
        commit="f3ec633dc6b01b76cc9993880dcb2bbfa3cc65df",
        licence="Apache-2.0",
        domain="bank",
        register="chat",
        files=(
            File(
                ("skills/Bank-Simple-Skill.json",),
                "watson",
                # Contact_Us mixes "can I talk to someone?" with asks for an email address.
                human_request=labels(
                    {"Help-Connect_to_Agent"}, neither={"Business_Information-Contact_Us"}
                ),
                distress=labels(
                    {
                        "General_Conversation-Customer_Emotion_Anger",
                        "General_Conversation-Feedback_Negative",
                    },
                    neither={
                        "Billing-Service_Complaints_Adjustments",
                        "Billing-Dispute",
                        "Banking-Billing_Dispute",
                    },
                ),
                repeat=True,
            ),
        ),
    ),
    Source(
        id="watson_customer_care",
        repo="watson-developer-cloud/assistant-skill-analysis",
        commit="317299904bcd09d628eee7c9c84627c3ad321554",
        licence="Apache-2.0",
        domain="shop",
        register="chat",
        files=(
            File(
                ("tests/resources/test_workspaces/skill-Customer-Care-Sample.json",),
                "watson",
                human_request=WATSON_HANDOFF,
                repeat=True,
            ),
        ),
    ),
    Source(
        id="watson_rent_a_car",
        repo="IBM/watson-google-assistant",
        commit="bba8573261a01d5a4acc26439197a8fc10378e57",
        licence="Apache-2.0",
        domain="car rental",
        register="voice",
        files=(
            File(
                ("data/assistant/workspaces/rent_a_car.json",),
                "watson",
                human_request=WATSON_HANDOFF,
                distress=WATSON_DISTRESS,
                repeat=True,
            ),
        ),
    ),
    Source(
        id="watson_insurance_voice",
        repo="IBM/watson-voice-bot",
        commit="289d80946f39cf7c9559021a878ad454d0ab6c03",
        licence="Apache-2.0",
        domain="insurance",
        register="voice",
        files=(
            File(
                ("data/skill-insurance-voice-bot.json",),
                "watson",
                human_request=WATSON_HANDOFF,
                distress=WATSON_DISTRESS,
                repeat=True,
            ),
        ),
    ),
    Source(
        id="watson_banking_chatbot",
        repo="IBM/watson-banking-chatbot",
        commit="4b2cdf968ffd795933b90bb8e6bd90674d782080",
        licence="Apache-2.0",
        domain="bank",
        register="chat",
        files=(
            File(
                ("data/conversation/workspaces/banking_US.json",),
                "watson",
                # negative_feedback mixes "I want to talk to a human" with insults.
                human_request=labels({"representative"}, neither={"negative_feedback"}),
                repeat=True,
            ),
        ),
    ),
    Source(
        id="watson_travel_voice",
        repo="watson-developer-cloud/assistant-web-chat-service-desk-starter",
        commit="6f6154bb7978e79f60746dbc6c9f925a936736ba",
        licence="MIT",
        domain="travel",
        register="voice",
        files=(
            File(
                ("src/enghouse/VG_TravelDemo-dialog.json",),
                "watson",
                human_request=labels({"transfertoLiveAgent", "watson_handover"}),
            ),
        ),
    ),
    Source(
        id="watson_car_dashboard",
        repo="watson-developer-cloud/assistant-dialog-flow-analysis",
        commit="3cc759c627ff9f6e33764751778426a99ee3d82e",
        licence="Apache-2.0",
        domain="in-car assistant",
        register="voice",
        files=(
            File(
                ("data/iot-car-sample/wa-workspace.json",),
                "watson",
                human_request=labels({"connect_to_agent"}),
                distress=labels(
                    {"negative_reaction", "answer_not_helpful"},
                    {"positive_reaction", "greetings", "goodbyes", "decision_replies"},
                ),
                repeat=True,
            ),
        ),
    ),
    Source(
        id="twilio_autopilot",
        repo="twilio/autopilot-templates",
        commit="e93af77cfc2930da06f8fd4032180505232cf5a8",
        licence="MIT",
        domain="travel, insurance, telecom, hospitality",
        register="chat and voice",
        # IntentBasedRouting is left out: its samples answer a "which department?" menu
        # ("not sure", "help", "sales"), not asks made unprompted.
        files=tuple(
            File(
                (f"Assistants/{bot}/schema.json",),
                "autopilot",
                human_request=labels(
                    {"send_to_agent", "connect_human", "insurance_auto_talk_to_representative"}
                ),
                repeat=True,
            )
            for bot in (
                "AirlineReservations",
                "DisneylandVacation",
                "insurance",
                "FAQsInternetPlan",
                "Hospitality",
                "ApptScheduling",
                "RealEstate",
                "RestaurantReservations",
            )
        ),
    ),
    Source(
        id="dialogflow_cx_graffiti",
        repo="GoogleCloudPlatform/contact-center-ai-samples",
        commit="386e4048a59f866ee15b41aa543d6d821097e4b3",
        licence="Apache-2.0",
        domain="public services",
        register="chat and voice",
        files=(
            File(
                ("goodbye-graffiti-agent/agent.zip",),
                "dialogflow",
                human_request=labels({"prebuilt_components_escalate_human_agent"}),
                # No repeat pairs: most intents collect address parts, not problems.
            ),
        ),
    ),
    Source(
        id="sgd",
        repo="google-research-datasets/dstc8-schema-guided-dialogue",
        commit="e852981ae34990f4358979625854259302feaa78",
        licence="CC-BY-SA-4.0",
        domain="travel",
        register="chat",
        files=(
            File(
                tuple(
                    f"train/dialogues_{n:03d}.json"
                    for n in (1, 12, 24, 36, 48, 61, 90, 100, 110, 120)
                ),
                "sgd",
                human_request=labels(()),
                # Calm task talk (booking, asking, confirming): what distress must not fire on.
                distress=labels(()),
                repeat=True,
            ),
        ),
    ),
    Source(
        id="mrpc",
        repo="Pzeyang/Paraphrase_Identification",
        commit="dc1755eb1a4755ca310f97209391f1f5c06e2fd1",
        licence="Microsoft Research Paraphrase Corpus licence (research use)",
        domain="news",
        register="news",
        files=(
            File(
                ("msr_paraphrase_train.txt",),
                "pairs",
                {"a": "#1 String", "b": "#2 String", "label": "Quality"},
                repeat=True,
            ),
        ),
    ),
    Source(
        id="goemotions",
        repo="monologg/GoEmotions-pytorch",
        commit="b75f9d3a8b76bc1060687925b04ca98a1b8ea66b",
        licence="Apache-2.0",
        domain="general",
        register="forum",
        files=(
            File(
                ("data/original/train.tsv", "data/original/labels.txt"),
                "indexed",
                {"columns": True},
                distress=GOEMOTIONS_DISTRESS,
            ),
        ),
    ),
    Source(
        id="tweeteval",
        repo="cardiffnlp/tweeteval",
        commit="4fbd22cd78421f05b1ecdb4fc5725bc7a7bd8f66",
        licence="see README: per task, Twitter terms",
        domain="general",
        register="tweets",
        files=tuple(
            File(
                (
                    f"datasets/{task}/{split}_text.txt",
                    f"datasets/{task}/{split}_labels.txt",
                    f"datasets/{task}/mapping.txt",
                ),
                "indexed",
                distress=mapping,
            )
            for task, split, mapping in (
                ("emotion", "train", labels({"anger", "sadness"}, {"joy", "optimism"})),
                ("sentiment", "val", labels({"negative"}, {"neutral", "positive"})),
                ("sentiment", "test", labels({"negative"}, {"neutral", "positive"})),
                ("irony", "train", labels({"irony"}, set())),
                ("offensive", "train", labels({"offensive"}, set())),
            )
        ),
    ),
    Source(
        id="meld",
        repo="declare-lab/MELD",
        commit="2d2011b409d3ca2d7e94460cd007d434b1d0a102",
        licence="GPL-3.0",
        domain="general",
        register="spoken",
        files=(
            File(
                ("data/MELD/train_sent_emo.csv",),
                "csv",
                {"text": "Utterance", "label": "Emotion"},
                distress=labels({"anger", "disgust"}, {"neutral", "joy"}),
            ),
        ),
    ),
    Source(
        id="emorynlp",
        repo="declare-lab/MELD",
        commit="2d2011b409d3ca2d7e94460cd007d434b1d0a102",
        licence="GPL-3.0",
        domain="general",
        register="spoken",
        files=(
            File(
                ("data/emorynlp/emorynlp_train_final.csv",),
                "csv",
                {"text": "Utterance", "label": "Emotion"},
                distress=labels({"Mad"}, {"Neutral", "Joyful", "Peaceful", "Powerful"}),
            ),
        ),
    ),
    Source(
        id="banking77",
        repo="PolyAI-LDN/task-specific-datasets",
        commit="57ec275d8078af65b7731c2a98be812d844a6d6b",
        licence="CC-BY-4.0",
        domain="bank",
        register="chat",
        # The train split only, and nothing else of this repository: the development set holds
        # the test split, and the rest of the repository is reserved for independent evaluation.
        # 77 intents, a dozen of them about cards: the hard negatives teach that two problems
        # with the same card are two problems.
        files=(
            File(
                ("banking_data/train.csv",),
                "csv",
                {"text": "text", "label": "category"},
                repeat=True,
            ),
        ),
    ),
)


# Fetching.


def git_dir(mirror: Path, repo: str) -> Path:
    base = mirror / repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo", base):
        if (candidate / "HEAD").is_file():
            return candidate
    raise BuildError(f"no snapshot of {repo} under {mirror} (looked for {base})")


def read_blob(repo: str, commit: str, path: str, mirror: Path | None) -> bytes:
    if mirror is not None:
        where = git_dir(mirror, repo)
        done = subprocess.run(  # noqa: S603
            ["git", "--git-dir", str(where), "show", f"{commit}:{path}"],  # noqa: S607
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip()
            raise BuildError(f"{repo}@{commit}:{path} not in {where}: {message}")
        return done.stdout
    url = f"https://raw.githubusercontent.com/{repo}/{commit}/{urllib.parse.quote(path)}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body: bytes = response.read()
            return body
    except (urllib.error.URLError, TimeoutError) as error:
        raise BuildError(
            f"could not download {url}: {error}; pass --mirror with local snapshots instead"
        ) from error


# Building.


def normalise(text: str) -> str | None:
    text = " ".join(text.split())
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        return None
    return text


def key(text: str) -> str:
    return text.casefold()


@dataclass
class Item:
    text: str
    label: bool
    source: Source
    file: str


@dataclass
class PairItem:
    a: str
    b: str
    label: bool
    source: Source
    file: str


WORD = re.compile(r"[a-z]{3,}")
STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "you",
        "your",
        "are",
        "can",
        "how",
        "what",
        "when",
        "why",
        "with",
        "this",
        "that",
        "have",
        "has",
        "was",
        "not",
        "but",
        "from",
        "about",
        "there",
        "please",
        "want",
        "would",
        "could",
        "need",
        "get",
        "got",
        "any",
        "our",
        "out",
        "its",
        "it's",
        "i'm",
    }
)  # fmt: skip


def content_words(text: str) -> frozenset[str]:
    return frozenset(word for word in WORD.findall(text.lower()) if word not in STOP)


def intent_pairs(
    by_intent: Mapping[str, list[str]], rng: random.Random, cap: int
) -> Iterator[tuple[str, str, bool]]:
    """Positives: two utterances of one intent. Negatives, as many: half hard (another intent's
    utterance sharing the most content words, such as "card"), half random."""
    intents = sorted(name for name, texts in by_intent.items() if len(texts) >= 2)
    if len(intents) < 2:
        return
    everything = [(name, text) for name in sorted(by_intent) for text in by_intent[name]]
    words = {text: content_words(text) for _, text in everything}
    per_intent = max(1, cap // len(intents))
    for name in intents:
        texts = by_intent[name]
        for _ in range(min(per_intent, len(texts) * (len(texts) - 1) // 2)):
            a, b = rng.sample(texts, 2)
            yield a, b, True
            others = [
                (other, text)
                for other, text in rng.sample(everything, min(200, len(everything)))
                if other != name
            ]
            if not others:
                continue
            if rng.random() < 0.5:
                shared = max(others, key=lambda item: len(words[a] & words[item[1]]))
                if words[a] & words[shared[1]]:
                    yield a, shared[1], False
                    continue
            yield a, rng.choice(others)[1], False


def build(
    out_dir: Path,
    mirror: Path | None = None,
    sources: Sequence[Source] = SOURCES,
    cap_positive: int = CAP_POSITIVE,
    cap_negative: int = CAP_NEGATIVE,
    cap_pairs: int = CAP_PAIRS,
) -> dict[str, Any]:
    """Read every source, write the three task files and the manifest; return the manifest."""
    rows: dict[str, list[Item]] = {task: [] for task in TASKS}
    pairs: list[PairItem] = []
    for source in sources:
        for spec in source.files:
            blobs = [read_blob(source.repo, source.commit, path, mirror) for path in spec.paths]
            if spec.reader in PAIR_READERS:
                for a, b, label in PAIR_READERS[spec.reader](blobs, **spec.options):
                    na, nb = normalise(a), normalise(b)
                    if na and nb and key(na) != key(nb) and spec.repeat:
                        pairs.append(PairItem(na, nb, label, source, spec.name))
                continue
            by_intent: dict[str, list[str]] = defaultdict(list)
            seen_in_file: set[str] = set()
            for raw, tags in ROW_READERS[spec.reader](blobs, **spec.options):
                text = normalise(raw)
                if text is None:
                    continue
                for task in TASKS:
                    mapping: Labels | None = getattr(spec, task)
                    verdict = mapping.of(tags) if mapping else None
                    if verdict is not None:
                        rows[task].append(Item(text, verdict, source, spec.name))
                if (
                    spec.repeat
                    and len(tags) == 1
                    and "-" not in tags
                    and key(text) not in seen_in_file
                ):
                    seen_in_file.add(key(text))
                    by_intent[next(iter(tags))].append(text)
            if spec.repeat:
                rng = draws("repeat_pairs", source.id, spec.name)
                for a, b, label in intent_pairs(by_intent, rng, cap_pairs):
                    pairs.append(PairItem(a, b, label, source, spec.name))

    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, dict[str, Counter[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Counter))
    )
    for task in TASKS:
        kept = cap(dedupe_rows(rows[task]), {True: cap_positive, False: cap_negative}, task)
        write_jsonl(
            out_dir / f"{task}.jsonl",
            (
                {"text": item.text, "label": item.label, "source": item.source.id,
                 "domain": item.source.domain, "register": item.source.register}
                for item in kept
            ),
        )  # fmt: skip
        for item in kept:
            counts[item.source.id][item.file][task][str(item.label).lower()] += 1
    kept_pairs = cap(dedupe_pairs(pairs), {True: cap_pairs, False: cap_pairs}, "repeat_pairs")
    write_jsonl(
        out_dir / "repeat_pairs.jsonl",
        (
            {"a": item.a, "b": item.b, "label": item.label, "source": item.source.id,
             "domain": item.source.domain, "register": item.source.register}
            for item in kept_pairs
        ),
    )  # fmt: skip
    for pair in kept_pairs:
        counts[pair.source.id][pair.file]["repeat_pairs"][str(pair.label).lower()] += 1

    manifest: dict[str, Any] = {
        "seed": SEED,
        "caps": {"positive": cap_positive, "negative": cap_negative, "pairs": cap_pairs},
        "sources": {
            source.id: {
                "repo": source.repo,
                "commit": source.commit,
                "licence": source.licence,
                "domain": source.domain,
                "register": source.register,
                "files": [list(spec.paths) for spec in source.files],
                "rows": {
                    spec.name: {
                        task: dict(sorted(n.items()))
                        for task, n in counts[source.id][spec.name].items()
                    }
                    for spec in source.files
                },
            }
            for source in sources
        },
        "outputs": {
            name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
            for name in ("human_request.jsonl", "distress.jsonl", "repeat_pairs.jsonl")
        },
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def dedupe_rows(items: list[Item]) -> list[Item]:
    """One row per case-folded text across all sources; a text given both labels is dropped."""
    labels_of: dict[str, set[bool]] = defaultdict(set)
    for item in items:
        labels_of[key(item.text)].add(item.label)
    seen: set[str] = set()
    kept = []
    for item in items:
        k = key(item.text)
        if k in seen or len(labels_of[k]) > 1:
            continue
        seen.add(k)
        kept.append(item)
    return kept


def dedupe_pairs(items: list[PairItem]) -> list[PairItem]:
    seen: set[frozenset[str]] = set()
    kept = []
    for item in items:
        k = frozenset((key(item.a), key(item.b)))
        if k in seen:
            continue
        seen.add(k)
        kept.append(item)
    return kept


T = TypeVar("T", Item, PairItem)


def draws(*names: str) -> random.Random:
    """The fixed seed's draws for one named part of the build: a source's sample does not move
    when another source is added or left out."""
    return random.Random(":".join((str(SEED), *names)))  # noqa: S311 - sampling, not secrets


def cap(items: list[T], limits: Mapping[bool, int], task: str) -> list[T]:
    """At most `limits[label]` rows per source and label, drawn with the fixed seed."""
    groups: dict[tuple[str, bool], list[T]] = defaultdict(list)
    for item in items:
        groups[(item.source.id, item.label)].append(item)
    kept: list[T] = []
    for (source, label), group in groups.items():
        if len(group) > limits[label]:
            group = draws(task, source, str(label)).sample(group, limits[label])
        kept.extend(group)
    order = {id(item): n for n, item in enumerate(items)}
    return sorted(kept, key=lambda item: order[id(item)])


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
