"""Secrets customers type (card numbers, security codes, IBANs, passwords) are masked before
anything stores or shows them. Precise on purpose: order and phone numbers stay readable."""

import re
from typing import Any

DOT = "•"

# A run of digit groups split by single spaces or dashes, not part of a decimal number; a card
# number is 13 to 19 of its digits, in whole groups.
DIGIT_RUN = re.compile(r"(?<![\d.,])\d+(?:[ -]\d+)*(?![\d]|[.,]\d)")
SECURITY_CODE = re.compile(
    r"\b(cvv2?|cvc2?|csc|cid|security code|card code)(\W{0,3}(?:is\W{1,3})?)(\d{3,4})\b",
    re.IGNORECASE,
)
IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
PASSWORD = re.compile(
    r"\b(password|passcode|passwort|contraseña|mot de passe|pin)(\s*(?::|=|\bis\b)\s*)(\S+)",
    re.IGNORECASE,
)


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_is_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def card_mask(match: re.Match[str]) -> str:
    """The first Luhn-valid card number in the run (the longest at its start), masked: a card
    typed with its security code or expiry straight after is still found."""
    parts = re.split(r"([ -])", match.group())  # groups at even indexes, separators between
    groups = parts[::2]
    for start in range(len(groups)):
        found = None
        digits = ""
        for end in range(start, len(groups)):
            digits += groups[end]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_is_valid(digits):
                found = (end, digits)
        if found is not None:
            end, digits = found
            masked = f"{DOT * 4} {DOT * 4} {DOT * 4} {digits[-4:]}"
            return "".join(parts[: 2 * start]) + masked + "".join(parts[2 * end + 1 :])
    return match.group()


def iban_mask(match: re.Match[str]) -> str:
    iban = match.group(1).replace(" ", "")
    if not iban_is_valid(iban):
        return match.group()
    return f"{iban[:2]}{DOT * 2} {DOT * 4} {DOT * 4} {iban[-4:]}"


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
