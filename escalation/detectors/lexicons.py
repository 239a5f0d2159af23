"""The phrase rules for asks for a person, beside the trained head (``human_request.py``).

``detect_human_request`` fires on a request verb with a person, a role or a department as its
object, on whole-message asks ("agent please"), with typo and shorthand handling, and marks
a request it finds negated ("no need for a person") so the detector can veto the head. The
rules are kept where they were measured to add to the head on sources neither saw (docs/
triggers.md); the distress rules, which measured no better than the head and fired on calm
queries, are gone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from rapidfuzz.distance import OSA

from escalation.detectors.signal import Signal, quote

__all__ = ["detect_human_request"]


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()]")
_REPEATED_LETTER_RE = re.compile(r"([a-z])\1{2,}")

# Chat shorthand and contractions, expanded so the phrase patterns stay simple.
_SHORTHAND: Mapping[str, str] = {
    "u": "you",
    "ya": "you",
    "yu": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "plse": "please",
    "pleas": "please",
    "pleaseee": "please",
    "wanna": "want to",
    "wana": "want to",
    "gotta": "got to",
    "gonna": "going to",
    "gimme": "give me",
    "lemme": "let me",
    "cant": "can't",
    "cannot": "can't",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "wont": "won't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "im": "i'm",
    "ive": "i've",
    "id": "i'd",
    "thx": "thanks",
    "thanx": "thanks",
    "asap": "now",
    "w": "with",
    "wit": "with",
    "2": "to",
    "sb": "somebody",
    "smb": "somebody",
    "sum1": "someone",
    "some1": "someone",
    "any1": "anyone",
    "cust": "customer",
    "svc": "service",
    "srv": "service",
    "rep": "representative",
    "reps": "representatives",
    "humanbeing": "human being",
    "customerservice": "customer service",
    "customersupport": "customer support",
    "livechat": "live chat",
    "liveagent": "live agent",
    "realperson": "real person",
}


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that typos are corrected towards (only words that matter to the detectors).
_CORRECTION_TARGETS: tuple[str, ...] = (
    "talk",
    "talking",
    "speak",
    "speaking",
    "chat",
    "chatting",
    "contact",
    "contacting",
    "connect",
    "transfer",
    "human",
    "humans",
    "person",
    "agent",
    "agents",
    "representative",
    "operator",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "assistant",
    "employee",
    "supervisor",
    "manager",
    "customer",
    "service",
    "support",
    "please",
    "help",
    "trying",
    "understand",
    "with",
    "live",
    "real",
    "need",
    "want",
    "can",
    "how",
    "you",
)
_TARGET_SET = frozenset(_CORRECTION_TARGETS)
_DOUBLED_LETTER_RE = re.compile(r"([a-z])\1")
_SWAP_ONLY_TARGETS = frozenset(
    {"help", "with", "live", "real", "need", "want", "can", "how", "you"}
)

# Real words one edit away from a target; they must never be "corrected".
_PROTECTED_WORDS = _word_set(
    """
    that what hat cat chap chart charts chats walk walked walking tall task tasks tale take
    peak speck steak sneak spear sneaks speaks spoke spoken talks talked chatted chats
    contract contracts contacts contacted contactless connects connected correct collect
    employer employers employees managed manages managers managing personal persons personally
    person's agency agenda agents' urgent humane humor human's operate operated operation
    someone's somehow somewhat anyone's anyway anyhow anything somebody's assistants assistance
    assist assisted customers customs services served server serves servicing support's
    supports supported helps helped helper held hell hello yelp kelp lives lived liver love
    river give gave five dive hive real read reap deal meal seal heal zeal reel feel
    needs needed feed seed weed heed wants went wand wait want's ant cant can't scan clan cap
    cab car cat man fan ban pan tan van ran con now new hot how's who hoe row cow bow low
    yours your yoU you'd you'll you're young with wish witch wits width within without
    spec space spend speed trade transfers transferred chase trying tying frying crying drying
    prying humid woman women horse house persona personas pessoa pessoas transfere
    transfira transferir transferer transferez transfiere conecte conectar contacte contato
    contatar agente agentes humano humana operador operadora
    """
)

_ACCENT_FREE_CACHE_SIZE = 4096


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss")


@lru_cache(maxsize=8192)
def _correct_token(token: str) -> str:
    """Map a misspelt token to a detector keyword (``huamn`` -> ``human``), else keep it."""
    if token in _TARGET_SET or token in _PROTECTED_WORDS or not token.isalpha():
        return token
    length = len(token)
    if length < 3:
        return token
    best = token
    best_distance = 3
    for target in _CORRECTION_TARGETS:
        if abs(len(target) - length) > 1:
            continue
        # Short words and function words only tolerate a swap of two letters (they have too
        # many real neighbours); content words tolerate one edit, long ones two.
        if _DOUBLED_LETTER_RE.sub(r"\1", token) == target:
            return target
        if max(length, len(target)) <= 4 or target in _SWAP_ONLY_TARGETS:
            allowed = 1 if sorted(target) == sorted(token) else 0
        elif length <= 7:
            allowed = 1
        else:
            allowed = 2
        if allowed == 0:
            continue
        distance = OSA.distance(token, target, score_cutoff=allowed)
        if distance <= allowed and distance < best_distance:
            # Keep the first letter unless it is a swap of the first two (``ehlp``).
            if token[0] != target[0] and sorted(token[:2]) != sorted(target[:2]):
                continue
            best, best_distance = target, distance
    return best


# Words glued together by fast typing ("tospeak", "needhelp", "uhelp").
_GLUE_PARTS = frozenset(
    {
        "to",
        "u",
        "i",
        "a",
        "me",
        "you",
        "need",
        "help",
        "want",
        "speak",
        "talk",
        "chat",
        "with",
        "an",
        "can",
        "human",
        "agent",
        "person",
        "live",
        "real",
    }
)


def _unglue(token: str) -> list[str]:
    if len(token) < 5 or token in _TARGET_SET or token in _PROTECTED_WORDS:
        return [token]
    for cut in range(1, len(token)):
        head, tail = token[:cut], token[cut:]
        if head in _GLUE_PARTS and (tail in _GLUE_PARTS or tail in _TARGET_SET) and len(tail) > 1:
            return [_SHORTHAND.get(head, head), tail]
    return [token]


@lru_cache(maxsize=_ACCENT_FREE_CACHE_SIZE)
def _tokens(text: str) -> tuple[str, ...]:
    """Lower-case, accent-free, shorthand-expanded, typo-corrected tokens (punctuation kept)."""
    lowered = _strip_accents(text.translate(_APOSTROPHES).lower())
    lowered = _REPEATED_LETTER_RE.sub(r"\1\1", lowered)
    out: list[str] = []
    for raw in _TOKEN_RE.findall(lowered):
        expanded = _SHORTHAND.get(raw)
        if expanded is not None:
            out.extend(expanded.split())
            continue
        for part in _unglue(raw):
            corrected = _correct_token(part)
            expanded = _SHORTHAND.get(corrected)
            out.extend(expanded.split() if expanded else (corrected,))
    return tuple(out)


@lru_cache(maxsize=_ACCENT_FREE_CACHE_SIZE)
def _normalised(text: str) -> str:
    """Tokens joined by single spaces, with a leading and trailing space for whole-word regexes."""
    return " " + " ".join(_tokens(text)) + " "


# --------------------------------------------------------------------------------------------
# Human request
# --------------------------------------------------------------------------------------------

# A person the customer could be handed to. Determiners and modifiers are optional; compounds
# such as "travel agent" or "estate agent" never match because only the listed modifiers may
# stand before the noun.
_DET = r"(?:(?:a|an|the|some|any|one|your|you're|ur|another|other|a different|some kind of|actual)\s+)?"
_MOD = (
    r"(?:(?:real|live|actual|actually|proper|true|genuine|living|breathing|competent|qualified|"
    r"different|other|senior|human|customer|service|support|care|help|helpdesk|bank|company|"
    r"experienced|physical|flesh and blood|normal|regular|trained|knowledgeable|in person|"
    r"actual live|real life|real live|damn|goddamn|bloody|fucking|freaking|frigging|effing)\s+)*"
)
_PERSON_STRONG = (
    r"(?:human beings?|humans?|real persons?|live persons?|real people|live people|agents?|"
    r"representatives?|operators?|staff(?: members?)?|employees?|supervisors?|managers?|"
    r"advisors?|advisers?|consultants?|associates?|specialists?|technicians?|"
    r"customer (?:service|support|care|assistance|services|relations)(?: (?:team|desk|agent|"
    r"representative|person|people|department|line|center|centre))?|"
    r"(?:support|service|care|help ?desk) (?:team|staff|desk|department|people|person|line)|"
    r"helpdesk|help desk|founders?|owners?|boss|someone in charge|somebody in charge|"
    r"team|your team|people)"
)
_PERSON_WEAK = (
    r"(?:persons?|someone|somebody|anyone|anybody|assistants?|one of you|one of your \w+)"
)
_PERSON = rf"{_DET}{_MOD}(?:{_PERSON_STRONG}|{_PERSON_WEAK})"
_STRONG_PERSON = rf"{_DET}{_MOD}{_PERSON_STRONG}"

_BOT = (
    r"(?:(?:a|an|the|this|some|your|stupid|dumb|useless|automated|virtual|chat|ai|damn|bloody|"
    r"fucking|freaking|computer)\s+)*(?:bots?|robots?|machines?|computers?|chatbots?|ai|"
    r"automated (?:system|assistant|service)|virtual assistant|program|programs)"
)

_COMM_VERB = (
    r"(?:talk|talking|speak|speaking|chat|chatting|converse|conversing|communicate|"
    r"communicating|discuss|discussing|deal|dealing|took|tak|spek)"
)
_CONTACT_VERB = (
    r"(?:contact|contacting|reach|reaching|call|calling|ring|phone|email|message|get hold of)"
)
_ROUTE_VERB = (
    r"(?:connect|connecting|transfer|transferring|forward|forwarding|put|putting|pass|passing|"
    r"hand|handing|redirect|redirecting|route|routing|escalate|escalating|switch|switching|"
    r"send|sending|refer|referring|patch|patching|give|bring|take|move|hook|escalated)"
)
_ROUTE_OBJECT = (
    r"(?:(?:me|us|this|him|her|them|my (?:call|chat|case|issue|query|question|request|ticket|"
    r"complaint|problem)|(?:the|this|a|our) (?:call|chat|conversation|case|issue|query|question|"
    r"request|ticket|complaint|problem|matter))\s+)?"
)
_WANT_VERB = (
    r"(?:want|wants|wanted|need|needs|require|request|requesting|demand|demanding|prefer|"
    r"(?:would|i'd|we'd|i|we|you'd|really|d|to) (?:like|love)|rather have|would like|get|getting|give|find|have|has|got|see|"
    r"deserve|insist on|ask for|asking for|looking for|speak to|talk to)"
)

_EN_PATTERNS: tuple[tuple[str, float, str], ...] = (
    # "can I talk to a real person", "speak with an operator", "chat w/ someone"
    (
        (
            rf" {_COMM_VERB} (?:(?:directly|now|please|just|quickly|immediately|again) )?"
            rf"(?:to|with|w|at|2|t|tto|too|ot|wtih|whit) {_PERSON}\b"
        ),
        0.95,
        "asked for a person",
    ),
    (
        (
            rf" (?:{_COMM_VERB}|{_CONTACT_VERB}) (?:to |with )?(?:a |an |the |your |one of your |"
            rf"some |one of the )?(?:real |actual |live |human )?\w+ (?:employees?|staff|staff members?|"
            rf"workers?|representatives?|team members?|reps?|people|person|specialists?|advisors?)\b"
        ),
        0.9,
        "asked for a person",
    ),
    (
        rf" {_ROUTE_VERB} (?:to me|me to|to us|me|us) {_PERSON}\b",
        0.85,
        "asked to be put through to a person",
    ),
    # "contact an agent", "reach someone", "call a representative"
    (rf" {_CONTACT_VERB} (?:with )?{_PERSON}\b", 0.9, "asked to contact a person"),
    # "connect me to a human", "transfer this chat to an agent", "put me through to someone"
    (
        (
            rf" {_ROUTE_VERB} {_ROUTE_OBJECT}(?:over |back |through |thru |across |on )?"
            rf"(?:to|with|in touch with|in contact with|through to|thru to|onto|towards) {_PERSON}\b"
            rf"|{_ROUTE_VERB} (?:me|us|{_ROUTE_OBJECT.strip('()?')})? ?(?:to|with|through to) "
            rf"(?:a |an |the |your |some |one of your )?(?:real |actual |live |human )?\w+ "
            rf"(?:employees?|staff|staff members?|workers?|representatives?|team members?)\b"
        ),
        0.95,
        "asked to be put through to a person",
    ),
    (r" (?:put|get|patch) (?:me|us) (?:through|thru)\b", 0.9, "asked to be put through"),
    (
        rf" (?:put|get) me in (?:touch|contact) with {_PERSON}\b",
        0.95,
        "asked to be put in touch with a person",
    ),
    # "get me a human", "give me an agent", "I want a representative", "I need a real person"
    (
        rf" {_WANT_VERB} (?:me |us |to have |to get |to see )?{_STRONG_PERSON}\b",
        0.9,
        "asked for a person",
    ),
    (
        (
            rf" {_WANT_VERB} (?:me |us )?{_DET}(?:real|live|actual|proper|human|flesh and blood) "
            r"(?:person|persons|someone|somebody|one|being|beings)\b"
        ),
        0.9,
        "asked for a real person",
    ),
    (
        (
            rf" {_WANT_VERB} (?:me |us )?(?:someone|somebody|a person|anyone|anybody) "
            r"(?:real|human|live|else|competent|qualified|who (?:can|could|knows|is|actually|will|would)"
            r"|that (?:can|could|knows|is))\b"
        ),
        0.85,
        "asked for someone else",
    ),
    # "help from a human", "assistance from a real person"
    (
        (
            rf" (?:help|assistance|support|answer|answers|response|call ?back|call|phone call|"
            rf"reply|follow up) (?:from|by) {_PERSON}\b"
        ),
        0.9,
        "asked for help from a person",
    ),
    # "human support", "live agent", "a real person please" as the object of a request
    (
        (
            r" (?:human|live|real person|real people|personal|in person) (?:support|help|assistance|"
            r"service|chat|contact|agent|agents|representative|operator|interaction|conversation|"
            r"handoff|hand off|takeover|takeover)\b"
        ),
        0.85,
        "asked for human support",
    ),
    (
        (
            r" (?:hand ?off|handover|hand over|escalate|escalation|transfer) (?:to )?(?:a |an )?"
            r"(?:human|person|agent|representative|real person|live agent|operator|supervisor|"
            r"manager|staff)\b"
        ),
        0.9,
        "asked for a handoff",
    ),
    (
        r" human (?:hand ?off|handover|hand over|escalation|takeover|take over)\b",
        0.9,
        "asked for a handoff",
    ),
    # "can someone from your team call me?", "could a real human look at this?"
    (
        (
            rf" (?:can|could|would|will|please|may) {_DET}(?:real |live |actual )?"
            rf"(?:{_PERSON_STRONG}|person|someone|somebody)(?: \w+){{0,4}}? "
            r"(?:call|contact|email|ring|phone|reach|get back to|call back|message) (?:me|us)\b"
            rf"| (?:can|could|would|will|please|may) {_DET}(?:real |live |actual )"
            r"(?:human|person|people|agent|someone|somebody)(?: \w+){0,2}? "
            r"(?:look|check|help|review|handle|take|deal|answer|call|see)\b"
            rf"| (?:can|could|would|will|please|may) {_DET}(?:human|humans|agent|"
            r"representative|operator|supervisor|manager|staff member|employee)(?: \w+){0,2}? "
            r"(?:look|check|help|review|handle|take|deal|answer|call|see)\b"
        ),
        0.85,
        "asked for a person to step in",
    ),
    (
        (
            r" (?:is|are) (?:there )?(?:anyone|anybody|someone|somebody) (?:real|human|alive|"
            r"actually there|there|around(?= (?:to help|[?.!])| ?$)|i can talk to|i can speak to|"
            r"who (?:can|could) help)\b"
        ),
        0.8,
        "asked whether a person is available",
    ),
    # "is there a human I can talk to", "are there humans working there", "anyone there?"
    (
        (
            r" (?:is|are) there (?:also |actually |even |really )?(?:a |any |an |some )?"
            r"(?:real |live |actual )?(?:humans?|persons?|people|agents?|representatives?|operators?|"
            r"staff|employees?)\b"
        ),
        0.85,
        "asked whether a person is available",
    ),
    (
        (
            r" (?:do|does) (?:you|your company|you guys|this) (?:have|offer|provide) (?:a |any )?"
            r"(?:real |live )?(?:human|live|person|people|agents?|representatives?|operators?|staff)"
            r"(?: support| help| agents?| chat| service)?\b"
        ),
        0.85,
        "asked for human support",
    ),
    # Rejecting the bot is a request for a person: "I don't want to talk to a bot".
    (
        (
            rf" (?:don't|do not|dont|doesn't|not|never|no longer|refuse to|won't|will not|hate to|"
            rf"hate|tired of|sick of|fed up with|done|stop|quit|enough of|instead of|rather than|"
            rf"rather not|not going to|not gonna|no more) (?:want |wanna |like |wish |need |going )?"
            rf"(?:to )?(?:keep )?(?:talk|talking|speak|speaking|chat|chatting|deal|dealing|"
            rf"communicate|communicating)(?:ing)? (?:to|with) {_BOT}\b"
        ),
        0.9,
        "refused the bot",
    ),
    (
        (
            rf" (?:talking|speaking|chatting|dealing) (?:to|with) {_BOT} (?:is|are|was|sucks|makes|"
            r"gets|isn't|doesn't|won't)\b"
        ),
        0.85,
        "refused the bot",
    ),
)

# Whole-message requests: "agent!!", "human please", "representative", "live agent".
_STANDALONE_FILLER = (
    r"(?:please|pls|now|right now|immediately|thanks|thank you|hi|hello|hey|ok|okay|just|"
    r"i said|again|already|asap|quickly|a|an|the|some|my|oh|yes|no|ugh|come on|omg|damn|"
    r"bloody|fucking|goddamn|freaking|dear|sir|madam|one|real|live|actual|proper|human|"
    r"customer|service|support|care|talk to|speak to|chat with|get me|give me|i want|"
    r"i need|want|need|connect me|connect|transfer|transfer me|for|to|with|"
    r"let me speak to|let me talk to|[.,;:!?()])"
)
_STANDALONE_CORE = (
    r"(?:agents?|human|humans|human beings?|representatives?|operators?|real persons?|"
    r"live persons?|real people|live agents?|real agents?|service agents?|support agents?|"
    r"customer (?:service|support|care|services)(?: agent| representative| team)?|"
    r"supervisor|manager|staff|employee|hand ?off|human hand ?off|handover|live chat|"
    r"someone (?:from|at|in|of) (?:customer|support|the|your|service|care)(?: \w+)?|"
    r"somebody (?:from|at|in|of) (?:customer|support|the|your|service|care)(?: \w+)?|"
    r"person|a person|people|someone real|somebody real|anyone real|a human)"
)
_STANDALONE_RE = re.compile(
    rf"^(?: {_STANDALONE_FILLER})* {_STANDALONE_CORE}(?: {_STANDALONE_FILLER})* $"
)

_FOREIGN_PERSON = (
    r"(?:(?:un|una|uno|una|el|la|los|las|al|alguna|algun|algum|alguma|um|uma|o|a|os|as|ao|"
    r"une|le|les|du|des|einen|einem|einer|ein|eine|den|dem|der|die|mit|avec|con|com|"
    r"de|d'un|d'une|ihrem|ihren|ihrer|euren|eurem|irgendeinem)\s+)*"
    r"(?:(?:real|verdadera|verdadero|de verdad|humano|humana|vrai|vraie|reel|reelle|"
    r"echten|echte|echter|richtigen|richtige|menschlichen|lebenden|real|verdadeiro|"
    r"verdadeira|de carne e osso|en chair et en os)\s+)?"
    r"(?:persona|personas|humano|humana|humanos|agente|agentes|asesor|asesora|asesores|"
    r"operador|operadora|representante|representantes|ejecutivo|ejecutiva|encargado|"
    r"encargada|supervisor|supervisora|gerente|empleado|empleada|alguien|responsable|"
    r"conseiller|conseillere|conseillers|humain|humains|personne reelle|vraie personne|"
    r"agent|operateur|operatrice|representant|interlocuteur|quelqu'un|quelqu un|"
    r"mitarbeiter|mitarbeiterin|mitarbeitern|mensch|menschen|person|berater|beraterin|"
    r"kundenberater|kundenberaterin|sachbearbeiter|sachbearbeiterin|vorgesetzten|"
    r"kundendienst|kundenservice|jemandem|jemanden|jemand|agenten|operator|"
    r"atendente|atendentes|pessoa|pessoas|consultor|consultora|alguem|funcionario|"
    r"funcionaria|servicio al cliente|atencion al cliente|service client|service clientele|"
    r"servico de atendimento|atendimento humano|suporte humano)"
)
_FOREIGN_PATTERNS: tuple[tuple[str, float, str], ...] = (
    # Spanish: "quiero hablar con una persona", "pasame con un agente", "comunicarme con un asesor"
    (
        (
            rf" (?:hablar|hable|hablo|comunicar|comunicarme|comunicarse|contactar|conectar|conectarme|"
            rf"pasar|pasame|pasarme|paseme|pase|transferir|transfiereme|transferirme|comuniqueme|"
            rf"comunicame|ponerme|ponme|pongame|atendido|atendida|atender|atienda|chatear) "
            rf"(?:en contacto |en comunicacion )?(?:con|a|por|para)? ?{_FOREIGN_PERSON}\b"
        ),
        0.95,
        "asked for a person",
    ),
    (
        (
            rf" (?:quiero|quisiera|necesito|deseo|prefiero|exijo|pido|dame|deme|consiguenme|"
            rf"busco|queria) {_FOREIGN_PERSON}\b"
        ),
        0.9,
        "asked for a person",
    ),
    # French: "je veux parler a un conseiller", "passez-moi un agent", "mettez-moi en relation"
    (
        (
            rf" (?:parler|discuter|joindre|contacter|passer|passez moi|passe moi|passez|transferer|"
            rf"transferez moi|mettre en relation|mettez moi en relation|etre mis en relation|"
            rf"mettre en contact|avoir|echanger|communiquer) "
            rf"(?:en relation |en contact )?(?:a|avec|au|aupres de|aupres d'un|aupres d'une)? ?"
            rf"{_FOREIGN_PERSON}\b"
        ),
        0.95,
        "asked for a person",
    ),
    (
        (
            rf" (?:je veux|je voudrais|j'aimerais|j'aimerai|je souhaite|je prefere|je demande|"
            rf"il me faut|donnez moi|donne moi) {_FOREIGN_PERSON}\b"
        ),
        0.9,
        "asked for a person",
    ),
    # German: "ich möchte mit einem Mitarbeiter sprechen", "verbinden Sie mich mit ..."
    (
        (
            rf" (?:mit|zu|an) {_FOREIGN_PERSON} (?:\w+ ){{0,3}}?(?:sprechen|reden|chatten|"
            rf"verbunden|verbinden|kommunizieren|schreiben|telefonieren)\b"
        ),
        0.95,
        "asked for a person",
    ),
    (
        (
            rf" (?:sprechen|reden|chatten|verbinden|verbindet|weiterleiten|durchstellen|"
            rf"verbinde|leiten|stellen|erreichen|kontaktieren) (?:sie |du )?(?:mich |uns )?"
            rf"(?:bitte )?(?:mit|zu|an)? ?{_FOREIGN_PERSON}\b"
        ),
        0.95,
        "asked for a person",
    ),
    (
        (
            rf" (?:ich will|ich mochte|ich brauche|ich hatte gern|ich hatte gerne|ich verlange|"
            rf"ich wurde gerne|ich wunsche|geben sie mir|gib mir) (?:bitte )?(?:jetzt )?"
            rf"{_FOREIGN_PERSON}\b"
        ),
        0.9,
        "asked for a person",
    ),
    # Portuguese: "quero falar com um atendente", "me transfira para uma pessoa"
    (
        (
            rf" (?:falar|fale|conversar|contatar|contactar|transferir|transfira|transferir me|"
            rf"passar|passe|passa|ligar|conectar|conecte|atendido|atendida|me passa|me passe|"
            rf"me transfere|me transfira|me conecte) (?:com|a|para|pra|ao|ate)? ?{_FOREIGN_PERSON}\b"
        ),
        0.95,
        "asked for a person",
    ),
    (
        (
            rf" (?:quero|queria|preciso de|preciso|gostaria de|desejo|prefiro|exijo) "
            rf"{_FOREIGN_PERSON}\b"
        ),
        0.9,
        "asked for a person",
    ),
)
_FOREIGN_STANDALONE_RE = re.compile(
    r"^(?: (?:por favor|porfa|bitte|s'il vous plait|svp|stp|please|ya|agora|ahora|maintenant|"
    r"jetzt|sofort|un|una|uma|um|une|einen|[.,;:!?()]))* (?:agente|asesor|asesora|operador|"
    r"operadora|humano|humana|una persona|uma pessoa|atendente|conseiller|conseillere|"
    r"un humain|operateur|mitarbeiter|berater|kundendienst|kundenservice|mensch|"
    r"atencion al cliente|service client)(?: (?:por favor|porfa|bitte|s'il vous plait|svp|"
    r"stp|please|ya|agora|ahora|maintenant|jetzt|sofort|[.,;:!?()]))* $"
)

_HUMAN_PATTERNS: tuple[tuple[re.Pattern[str], float, str], ...] = tuple(
    (re.compile(pattern), weight, label) for pattern, weight, label in _EN_PATTERNS
) + tuple((re.compile(pattern), weight, label) for pattern, weight, label in _FOREIGN_PATTERNS)

# Negation of the wish itself ("don't want", "no need to"), as opposed to inability
# ("can't reach an agent", "don't know how to contact someone"), which is a request too.
_NEGATION_CUE_RE = re.compile(
    r"(?:^| )(?:don't|do not|doesn't|does not|didn't|did not|no need|not need|needn't|"
    r"not necessary|unnecessary|not want|never|without|rather not|no thanks|no thank you|"
    r"wouldn't|would not|won't|will not|shouldn't|should not|not looking|not interested|"
    r"no|not|nor|no longer|stop|avoid|instead of|rather than|"
    r"no quiero|no necesito|no hace falta|sin|ne veux pas|ne voudrais pas|pas besoin|"
    r"ne veux|ne souhaite pas|ne souhaite|nicht|kein|keinen|keine|nao quero|nao preciso|nao)"
    r"(?: |$)"
)
_INABILITY_RE = re.compile(
    r"(?:^| )(?:can't|can not|couldn't|could not|unable|not able|don't know|do not know|"
    r"didn't know|not sure|no idea|not know|never know|wasn't able|haven't been able|"
    r"why can't|no way to|no one|nobody|not been able|don't understand|do not understand|"
    r"not getting|not being|not helpful|no help|not helping|no luck|not working|not useful|"
    r"stop wasting)(?: |$)"
)
_CLAUSE_BREAK_RE = re.compile(
    r" (?:[.;:!?()]|,|but|so|and|then|because|however|pero|mais|aber|mas) "
)
_IDENTITY_QUESTION_RE = re.compile(
    r"(?:^| )(?:am i|are we|are you|is this|was i|were you|is it|you are|you're|i am|i'm|"
    r"thought i was|feel like i'm|feels like i'm|it's like|like) (?:really |actually |even |"
    r"just |still |currently |now )?(?:talking|speaking|chatting|dealing)(?: |$)"
)
_NEGATED_BOT_RE = re.compile(r"refused the bot")
_NARRATION_RE = re.compile(
    r" (?:was|were|had been|have been|has been|i've|we've|already|previously|"
    r"earlier|before|last time|yesterday)(?: (?:already|just|previously|been))?$"
)
_INTERJECTED_NO_RE = re.compile(r" no ?[,.!]")


def _clause_before(normalised: str, start: int) -> str:
    """The words of the clause that precede a match, up to the previous clause break."""
    before = normalised[:start]
    breaks = list(_CLAUSE_BREAK_RE.finditer(before))
    if breaks:
        before = before[breaks[-1].end() - 1 :]
    return before


def _is_negated(normalised: str, start: int) -> bool:
    before = _clause_before(normalised, start)
    # Only the last few words carry the negation that scopes over this request; inability or
    # incomprehension anywhere in the clause makes it a complaint, which still asks for help.
    window = " " + " ".join(before.split()[-5:]) + " "
    if not _NEGATION_CUE_RE.search(window):
        return False
    return not _INABILITY_RE.search(before + " ")


def _is_identity_question(normalised: str, start: int) -> bool:
    window = " " + " ".join(_clause_before(normalised, start).split()[-4:]) + " "
    tail = normalised[start : start + 14]
    return bool(_IDENTITY_QUESTION_RE.search(window + tail.strip() + " "))


def _is_narration(normalised: str, start: int) -> bool:
    """ "I was talking to an agent", "I've already spoken with someone": a report, not a wish."""
    words = _clause_before(normalised, start).split()[-3:]
    return bool(_NARRATION_RE.search(" " + " ".join(words)))


@lru_cache(maxsize=4096)
def detect_human_request(text: str) -> Signal:
    """Does the customer ask to be handed to a person?

    Fires on a request verb with a person as its object ("can I talk to a real person",
    "connect me to an agent", "get me a human"), on whole-message requests ("agent please",
    "representative"), on rejections of the bot ("I don't want to talk to a bot") and on the
    common Spanish, French, German and Portuguese phrasings. Negated wishes ("no need for a
    person", "I don't want to talk to an agent") and mere mentions ("the agent at the store",
    "human error", "are you human?") do not fire.
    """
    normalised = _normalised(text)
    stripped = normalised.strip()
    if not stripped:
        return Signal(False, 0.0, "empty message")
    is_standalone = bool(
        _STANDALONE_RE.match(normalised) or _FOREIGN_STANDALONE_RE.match(normalised)
    )
    # "no, agent!" still asks; "no agent" or "not a human" does not.
    if is_standalone and (
        not _NEGATION_CUE_RE.search(normalised) or _INTERJECTED_NO_RE.search(normalised)
    ):
        return Signal(True, 0.9, f"asked for a person: {quote(text)}")
    best: tuple[float, str, str] | None = None
    negated: str | None = None
    for pattern, weight, label in _HUMAN_PATTERNS:
        for match in pattern.finditer(normalised):
            phrase = match.group(0).strip()
            is_bot_refusal = bool(_NEGATED_BOT_RE.search(label))
            if not is_bot_refusal:
                if _is_negated(normalised, match.start()):
                    negated = negated or phrase
                    continue
                if _is_identity_question(normalised, match.start()) or _is_narration(
                    normalised, match.start()
                ):
                    continue
            if best is None or weight > best[0]:
                best = (weight, label, phrase)
            break
    if best is not None:
        weight, label, phrase = best
        return Signal(True, weight, f"{label}: {quote(phrase)}")
    if negated is not None:
        return Signal(False, 0.1, f"request for a person negated: {quote(negated)}", negated=True)
    return Signal(False, 0.0, "no request for a person")
