"""Secrets customers type (card numbers, security codes, IBANs, passwords) are masked before
anything stores or shows them. Precise on purpose: order and phone numbers stay readable.
Candidates are found by pattern and confirmed by python-stdnum's checks (Luhn for cards, the
country's format and checksum for IBANs)."""

import re
from typing import Any

from stdnum import iban as iban_number
from stdnum import luhn

DOT = "•"

# A run of digit groups split by single spaces, dashes or dots, not part of a decimal number; a
# card number is 13 to 19 of its digits, in whole groups. A run that starts with "+" is a phone
# number and is left whole.
DIGIT_RUN = re.compile(r"(?<![\d.,])\+?\d+(?:[ .-]\d+)*(?![\d]|,\d)")
SECURITY_CODE = re.compile(
    r"\b(cvv2?|cvc2?|csc|cid|security code|card code)(\W{0,3}(?:is\W{1,3})?)(\d{3,4})\b",
    re.IGNORECASE,
)
# Country code, check digits, then groups of four (the last one shorter), in either case.
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# "password: x", "my pw is x", "the password for my account is x", "my password's x".
PASSWORD = re.compile(
    r"\b(passwords?|passcode|passphrase|passwort|contraseña|mot de passe|pin|pwd?)"
    r"((?:\s+(?:for|of|on|to)(?:\s+[^\s:=]+){1,4}?)?"
    r"\s*(?::|=|['\u2019]s\b|\bis\b|\bwas\b)\s*)"
    r"(\S+)",
    re.IGNORECASE,
)


def card_number_is_plausible(groups: list[str]) -> bool:
    """A payment card's number as people copy it from the card: a network's (ISO/IEC 7812: it
    starts with 2 to 6; others are airline, fleet or national numbers), printed unbroken, in
    fours (the last group shorter) or in Amex's and Diners' 4-6-5 and 4-6-4, and Luhn-valid.
    Order numbers grouped otherwise (112-4839201-1234567) stay."""
    digits = "".join(groups)
    lengths = [len(group) for group in groups]
    printed = (
        len(groups) == 1
        or lengths in ([4, 6, 5], [4, 6, 4])
        or (all(length == 4 for length in lengths[:-1]) and lengths[-1] <= 4)
    )
    return printed and 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits)


def card_mask(match: re.Match[str]) -> str:
    """The first card number in the run (the longest at its start), masked: a card typed with
    its security code or expiry straight after is still found."""
    if match.group().startswith("+"):
        return match.group()
    parts = re.split(r"([ .-])", match.group())  # groups at even indexes, separators between
    groups = parts[::2]
    for start in range(len(groups)):
        found = None
        digits = ""
        for end in range(start, len(groups)):
            digits += groups[end]
            if len(digits) > 19:
                break
            if card_number_is_plausible(groups[start : end + 1]):
                found = (end, digits)
        if found is not None:
            end, digits = found
            masked = f"{DOT * 4} {DOT * 4} {DOT * 4} {digits[-4:]}"
            return "".join(parts[: 2 * start]) + masked + "".join(parts[2 * end + 1 :])
    return match.group()


def iban_mask(match: re.Match[str]) -> str:
    """The longest valid IBAN at the start of the match, masked: a word of four letters typed
    after an IBAN is taken in by the pattern, and left as it was."""
    parts = match.group().split(" ")
    for end in range(len(parts), 0, -1):
        candidate = " ".join(parts[:end])
        if iban_number.is_valid(candidate):
            compact = iban_number.compact(candidate)
            masked = f"{compact[:2]}{DOT * 2} {DOT * 4} {DOT * 4} {compact[-4:]}"
            return " ".join([masked, *parts[end:]])
    return match.group()


def secrets_mask(text: str) -> str:
    """The text with card numbers (Luhn-checked), security codes, IBANs (checksummed) and
    stated passwords or PINs replaced by dots; a card's and an IBAN's last four stay."""
    text = IBAN.sub(iban_mask, text)
    text = DIGIT_RUN.sub(card_mask, text)
    text = SECURITY_CODE.sub(lambda m: f"{m.group(1)}{m.group(2)}{DOT * 3}", text)
    return PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{DOT * 6}", text)


def secrets_mask_json(value: Any) -> Any:
    """secrets_mask over every string of a JSON value; a card number given as a number too."""
    if isinstance(value, str):
        return secrets_mask(value)
    if isinstance(value, dict):
        return {key: secrets_mask_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [secrets_mask_json(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and 13 <= len(str(value)) <= 19:
        masked = secrets_mask(str(value))
        return value if masked == str(value) else masked
    return value
