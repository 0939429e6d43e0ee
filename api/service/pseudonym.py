"""The one check of every free-text value the service accepts: no personal identity
numbers, no control characters.

The shared queue holds pseudonymous identifiers only. A *personnummer* is
``[CC]YYMMDD[-+]NNNN``; a *samordningsnummer* (co-ordination number) is the same with
60 added to the day. :func:`refusal` refuses a value that contains such a number in any
spelling a person might type or a system might produce:

1. the value is normalised to Unicode NFKC (full-width ``１９８５``, superscript and
   circled digits become ASCII digits), and every other decimal digit (Arabic-Indic,
   Devanagari, ...) is read as the ASCII digit it stands for;
2. it is cut into groups of digits; groups joined only by separators — ``. - _ : + /
   ,``, the minus sign, any space or dash character — form a chain
   (``1985-03-14-1214`` is one chain of four groups); digits that touch are one group
   (no separator);
3. any run of whole, consecutive groups of a chain with 12 digits starting ``18``,
   ``19`` or ``20``, or with 10 digits, is a candidate; a candidate whose month is
   01–12 and whose day is 01–31 (or 61–91, a samordningsnummer) is refused.

The check digit (Luhn) is not required for refusal: a mistyped identity number is still
one. A run of digits longer than 12 without a separator (an order number such as
``99121212121212``) is not a candidate; neither is a date alone (8 digits). A date and
time written with a separator (``2026-01-15 12:30``) has the same shape and is refused
too: write it ISO-style with a ``T``. Control and format characters (NUL, line breaks,
tabs, zero-width and direction marks) and lone surrogates are refused in every value —
except line breaks and tabs in an inline scenario's string values (prose such as its
description), which are read as spaces, so they separate digit groups as a
space does and cannot hide a number: the rest cannot be stored on PostgreSQL or shown
safely, and they could hide a number.
The value itself is never echoed in the error, stored or logged.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

PERSONAL_NUMBER = (
    "looks like a Swedish personal identity number (personnummer or samordningsnummer); "
    "send a pseudonymous identifier"
)
CONTROL_CHARACTER = "contains a control or format character"
SEPARATORS = frozenset(".-_:+/,\u2212")  # and U+2212, the minus sign
_GROUPS = re.compile(r"[0-9]+")
_DIGITS = re.compile(r"[0-9]")
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def _is_separator(char: str) -> bool:
    return char in SEPARATORS or char.isspace() or unicodedata.category(char) == "Pd"


def normalise(value: str) -> str:
    """``value`` in NFKC with every decimal digit written as an ASCII digit."""
    if value.isascii():
        return value  # ASCII is its own NFKC
    text = unicodedata.normalize("NFKC", value)
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text
    )


def _chains(text: str) -> list[list[str]]:
    """The digit groups of ``text``, grouped in chains joined only by separators."""
    chains: list[list[str]] = []
    end = 0
    for m in _GROUPS.finditer(text):
        between = text[end : m.start()]
        if chains and all(_is_separator(c) for c in between):
            chains[-1].append(m.group())
        else:
            chains.append([m.group()])
        end = m.end()
    return chains


def _is_identity_number(digits: str) -> bool:
    """True for 10 digits YYMMDDNNNN or 12 digits CCYYMMDDNNNN with a plausible date."""
    if len(digits) == 12 and digits[:2] in ("18", "19", "20"):
        digits = digits[2:]
    elif len(digits) != 10:
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


def looks_like_personal_number(value: str) -> bool:
    """True when ``value`` contains something shaped like a personnummer or
    samordningsnummer, in any of the spellings the module text lists."""
    text = normalise(value)
    if len(_DIGITS.findall(text)) < 10:
        return False  # too few digits for any candidate (most values)
    for chain in _chains(text):
        for start in range(len(chain)):
            digits = ""
            for group in chain[start:]:
                digits += group
                if len(digits) > 12:
                    break
                if _is_identity_number(digits):
                    return True
    return False


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a control or format character or a lone surrogate."""
    if value.isascii():
        return _ASCII_CONTROL.search(value) is not None
    return any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in value)


def refusal(value: str) -> str | None:
    """Why ``value`` is refused (a message without the value), or None when it is fine."""
    if has_control_characters(value):
        return CONTROL_CHARACTER
    if looks_like_personal_number(value):
        return PERSONAL_NUMBER
    return None


def is_request_id(value: str) -> bool:
    """A caller's ``X-Request-ID`` is kept only when it is a UUID written in the usual
    8-4-4-4-12 form that holds no personal identity number; otherwise the service makes
    a fresh one (``asgi-correlation-id``'s validator; :func:`new_request_id`)."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return str(parsed) == value.lower() and not looks_like_personal_number(value)


def new_request_id() -> str:
    """A fresh request id: a random UUID (drawn again in the rare case, about one in a
    thousand, that its digits look like an identity number). The ids the service gives
    simulation and forecast jobs and allocation runs are drawn the same way: they come
    back in paths (``/v1/forecasts/{id}``), which the same check reads, and a drawn
    ``…210624-4249-…`` would make the job unreachable (a 422)."""
    while not is_request_id(value := str(uuid.uuid4())):
        pass
    return value


def _refuse(value: str) -> str:
    reason = refusal(value)
    if reason is not None:
        raise PydanticCustomError("pseudonymity", reason)
    return value


FreeText = Annotated[str, AfterValidator(_refuse)]
"""Text that must hold no personal identity number and no control character."""

PseudonymousId = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$"),
    AfterValidator(_refuse),
]
"""An identifier that must not be (or contain) a personal identity number."""
