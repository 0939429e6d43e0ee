"""The analytic estimates of ``remiss estimate`` and ``POST /v1/estimate``, built once.

Each model has a function that validates its inputs and returns an :class:`Estimate`
(the rows with their raw values, for the command line's table) and a ``*_document``
function that returns the JSON document both ``remiss estimate … --json`` and the
service send::

    {"model": "mmc" | "little" | "waiting-list",
     "inputs": {name: value, ...},
     "results": {key: {"label": str, "value": float | bool | null,
                       "unit": str, "formula": str}, ...},
     "notes": [str, ...]}

Values that are not finite (an infinite mean wait when the rates underflow, a target
capacity beyond the float range) are ``null`` in the document. Invalid input raises
:class:`EstimateError`, a :class:`ValueError` that names the parameter(s) to fix. The
formulas themselves live in :mod:`simulering.estimate`.

The modules: :mod:`~api.estimates.document` (rows, document, errors),
:mod:`~api.estimates.inputs` (the checks), and one per model:
:mod:`~api.estimates.mmc`, :mod:`~api.estimates.little`,
:mod:`~api.estimates.waiting_list`.
"""

from api.estimates.document import Estimate, EstimateError, Row, TimeUnit
from api.estimates.inputs import MAX_SERVERS
from api.estimates.little import little_document, little_estimate
from api.estimates.mmc import mmc_document, mmc_estimate
from api.estimates.waiting_list import waiting_list_document, waiting_list_estimate

__all__ = [
    "MAX_SERVERS",
    "Estimate",
    "EstimateError",
    "Row",
    "TimeUnit",
    "little_document",
    "little_estimate",
    "mmc_document",
    "mmc_estimate",
    "waiting_list_document",
    "waiting_list_estimate",
]
