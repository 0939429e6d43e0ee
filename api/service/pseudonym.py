"""Refuse values that look like Swedish personal identity numbers.

The shared queue holds pseudonymous identifiers only. A *personnummer* is
``[CC]YYMMDD[-+]NNNN``; a *samordningsnummer* (co-ordination number) is the same with
60 added to the day. Any value containing such a pattern — 10 or 12 digits, with or
without century and separator, with a plausible month (01–12) and day (01–31 or
61–91) and not part of a longer run of digits — is refused, whether or not its check
digit is right: a mistyped identity number is still one. The value itself is never
echoed in the error, stored or logged.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

_PATTERN = re.compile(
    r"(?<!\d)(?:(?:18|19|20)\d{2}|\d{2})(?P<month>\d{2})(?P<day>\d{2})[-+]?\d{4}(?!\d)"
)


def looks_like_personal_number(value: str) -> bool:
    """True when ``value`` contains something shaped like a personnummer or
    samordningsnummer."""
    for m in _PATTERN.finditer(value):
        month, day = int(m["month"]), int(m["day"])
        if 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91):
            return True
    return False


def _refuse_personal_number(value: str) -> str:
    if looks_like_personal_number(value):
        raise PydanticCustomError(
            "personal_identity_number",
            "looks like a Swedish personal identity number (personnummer or "
            "samordningsnummer); send a pseudonymous identifier",
        )
    return value


PseudonymousId = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$"),
    AfterValidator(_refuse_personal_number),
]
"""An identifier that must not be (or contain) a personal identity number."""
