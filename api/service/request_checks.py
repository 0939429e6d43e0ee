"""Every free-text value of a request through the one check of :mod:`api.service.pseudonym`.

:func:`checked_request` is a dependency of every ``/v1`` route
(:func:`api.service.deps.v1_router`). It checks the path parameters, the query
parameters' names and values, the headers the service stores (``X-Remiss-User``; the
``X-Request-ID`` is checked by the request-id middleware and replaced when refused) and
every string of a JSON body — values and object keys, at any depth — before the body
is validated and before anything is read or stored. A query parameter the route
declares as a date or a time (``as_of``, the audit's ``from``/``to``) is not free text:
it is checked by parsing it, and a time such as ``2026-12-02T20:48:02.141234`` would
otherwise look like a number. A refusal is a 422 naming the field
(``path.referral_id``, ``query.actor``, ``body.units.3.name``,
``header.X-Remiss-User``), never the value; a refused object key is reported at the
object that holds it.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from typing import Any

from fastapi import Request

from api.service.http_problems import Problem
from api.service.pseudonym import refusal

END_USER_HEADER = "X-Remiss-User"
"""The pseudonymous id of the person the portal acts for (stored in the audit log)."""


def refused(field: str, reason: str) -> Problem:
    """The 422 for a refused value at ``field`` (the value is not in it)."""
    return Problem(
        422, "Invalid request", f"{field}: {reason}", [{"field": field, "message": reason}]
    )


def check_text(field: str, value: str) -> None:
    """Raise :func:`refused` when ``value`` may not be accepted."""
    reason = refusal(value)
    if reason is not None:
        raise refused(field, reason)


def header_text(value: str) -> str:
    """A header value as the UTF-8 text it was sent as (Starlette reads Latin-1)."""
    return value.encode("latin-1").decode("utf-8", errors="replace")


PROSE = "body.scenario"
"""An inline scenario: its texts (description, assumptions, sources) are prose."""
PROSE_BREAKS = str.maketrans({"\n": " ", "\r": " ", "\t": " "})
"""Line breaks and tabs, read as spaces in an inline scenario's string values: the
number check sees them as separators; every other control character is still refused,
and everywhere else line breaks and tabs are too."""


def check_document(field: str, document: Any) -> None:
    """Check every string in a parsed JSON document: values and object keys (in an
    inline scenario's values, line breaks and tabs are read as spaces)."""
    stack: list[tuple[str, Any]] = [(field, document)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            prose = where == PROSE or where.startswith(f"{PROSE}.")
            check_text(where, node.translate(PROSE_BREAKS) if prose else node)
        elif isinstance(node, dict):
            for key, value in node.items():
                check_text(where, key)
                if isinstance(value, str | dict | list):
                    stack.append((f"{where}.{key}", value))
        elif isinstance(node, list):  # numbers (most of a large body) are not text
            stack.extend(
                (f"{where}.{i}", value)
                for i, value in enumerate(node)
                if isinstance(value, str | dict | list)
            )


_time_queries: dict[int, frozenset[str]] = {}


def time_queries(route: Any) -> frozenset[str]:
    """The query parameters ``route`` declares as dates or times."""
    names = _time_queries.get(id(route))
    if names is None:
        dependant = getattr(route, "dependant", None)
        params = dependant.query_params if dependant is not None else []
        names = frozenset(p.alias for p in params if _is_time(p.field_info.annotation))
        _time_queries[id(route)] = names
    return names


def _is_time(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_time(a) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_time(typing.get_args(annotation)[0])
    return annotation in (dt.date, dt.datetime)


async def checked_request(request: Request) -> None:
    """Refuse the request (422) when any value it carries fails the check."""
    for name, value in request.path_params.items():
        check_text(f"path.{name}", str(value))
    times = time_queries(request.scope.get("route"))
    for name, value in request.query_params.multi_items():
        check_text("query", name)
        if name not in times:
            check_text(f"query.{name}", value)
    user = request.headers.get(END_USER_HEADER)
    if user is not None:
        check_text(f"header.{END_USER_HEADER}", header_text(user))
    body = await request.body()
    if not body:
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # not JSON: the route's own body validation reports it
    check_document("body", document)
