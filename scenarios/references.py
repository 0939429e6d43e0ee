"""Sources as a reader can follow them: the file paths the library scenarios cite,
named by what they are and who publishes them, in Swedish and English.

A scenario's ``sources`` say where its numbers come from, often by a path into the
project's facts (``../shared/data/vgr_kommuner.csv``) or the repository
(``scenarios/regioner/vgr.yaml``). Such a path means nothing to a board reading the
report; :func:`readable` puts the reference's name in its place.
``tests/scenarios/test_references.py`` checks that no library scenario's sources keep a
path, except the ``remiss calibrate`` command quoted by ``mvo_spridning`` (its paths stay
so it can be re-run).
"""

from __future__ import annotations

import re
from typing import Final

REFERENCES: Final[dict[str, dict[str, str]]] = {
    "../shared/data/vgr_kommuner.csv": {
        "sv": "Regionfakta (regionfakta.com): folkmängd i Västra Götalands kommuner, "
        "främst 31 december 2024",
        "en": "Regionfakta (regionfakta.com): population of Västra Götaland's "
        "municipalities, mostly 31 December 2024",
    },
    "../shared/data/README.md": {
        "sv": "offentliga uppgifter sammanställda av remiss-projektet",
        "en": "public figures compiled by the remiss project",
    },
    "/work/shared/DESIGN.md": {
        "sv": "portalprojektets designunderlag",
        "en": "the portal project's design notes",
    },
    "scenarios/regioner/vgr.yaml": {
        "sv": "remiss regionbeskrivning för Västra Götaland",
        "en": "remiss region description of Västra Götaland",
    },
    "scenarios/regioner/sydost.yaml": {
        "sv": "remiss regionbeskrivning för Sydöstra sjukvårdsregionen",
        "en": "remiss region description of the south-east healthcare region",
    },
    "scenarios/README.md": {
        "sv": "remiss scenariodokumentation",
        "en": "the remiss scenario documentation",
    },
}
"""Each path a library scenario cites: its name in each language."""

PATH: Final = re.compile(r"(?:\.\./|/work/)[\w./-]+|\b[\w-]+(?:/[\w.-]+)+\.(?:md|csv|yaml|py)\b")
"""What looks like a file path in a source line."""


def readable(text: str, lang: str) -> str:
    """``text`` with every path of :data:`REFERENCES` replaced by its name in ``lang``
    (``sv`` or ``en``); other text unchanged."""
    for path, names in sorted(REFERENCES.items(), key=lambda item: -len(item[0])):
        text = text.replace(path, names[lang])
    return text


def paths_in(text: str) -> list[str]:
    """The file paths left in ``text`` (none after :func:`readable` for the library)."""
    return PATH.findall(text)
