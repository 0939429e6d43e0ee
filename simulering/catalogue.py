"""The KPI catalogue: every KPI declared once, with everything the outputs need.

Each :class:`Kpi` says what the JSON key is (``name``), how its numbers are written
(``kind``), the interval its values and confidence intervals stay in (``range``), which
way is better in a paired comparison (``direction``), the label of every output that
shows it and the official definition it follows. The row sets — which KPIs an output
shows, in which order — are the ordered tuples :data:`TERMINAL`, :data:`MARKDOWN`,
:data:`REPORT`, :data:`PRIORITY` and :data:`BAND_NAMES` below.

Every consumer reads this module: :mod:`simulering.kpis` (``KPI_NAMES``, ``KPI_RANGE``,
``BANDS``), :mod:`simulering.paired` (``KPI_DIRECTION``), :mod:`simulering.report`
(the HTML report's rows and Swedish/English labels), :mod:`api.cli.terminal_tables`
(the terminal tables of ``remiss simulate``) and :mod:`api.cli.scenarios` (``remiss
scenarios table``). The computation itself stays in :func:`simulering.kpis.replication_kpis`;
a test checks that it computes exactly the KPIs declared here.

Adding a KPI: one :class:`Kpi` entry in :data:`KPIS` (and its name in the row sets of
the outputs that should show it), plus its computation in ``simulering/kpis.py``.

Labels may contain ``{limit}``: the stage's guarantee limit in days (Markdown and
report labels), or ``"own limit"`` / ``"30 d"`` for the per-priority rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["share", "days", "km", "count", "sek"]
"""How a KPI's numbers are written: ``share`` as a percentage (differences in
percentage points), ``days`` and ``km`` with one decimal, ``count`` and ``sek`` as whole
numbers with thousands grouped."""

RangeKind = Literal["share", "non_negative", "real"]
"""The interval a KPI's values lie in: ``share`` [0, 1], ``non_negative`` [0, ∞),
``real`` anything (:data:`simulering.paired.BOUNDS`)."""

Direction = Literal["higher", "lower"] | None
"""Which way is better in a paired comparison; ``None``: neither (no verdict)."""


@dataclass(frozen=True)
class Kpi:
    """One KPI as every output shows it."""

    name: str
    """The JSON key (``kpis.<stage>.<name>``, and in every breakdown)."""
    kind: Kind
    range: RangeKind
    direction: Direction
    definition: str
    """The official definition it follows, in one or two sentences."""
    sv: str
    """HTML report label, Swedish (``{limit}``: the stage's limit in days)."""
    en: str
    """HTML report label, English."""
    terminal: str | None = None
    """Row label of the ``remiss simulate`` terminal tables (``None``: not shown there)."""
    markdown: str | None = None
    """Row label of ``remiss scenarios table`` (``None``: not shown there)."""
    priority: str | None = None
    """Per-priority row label, terminal and Markdown (``{limit}``: the group's own limit)."""
    priority_sv: str | None = None
    """Per-priority row label of the report, Swedish (``None``: :attr:`sv`)."""
    priority_en: str | None = None
    """Per-priority row label of the report, English (``None``: :attr:`en`)."""
    cross_region: bool = False
    """Care in another region: the terminal and Markdown tables leave the row out when
    it is 0 (or missing) under every policy — a one-region file has none."""

    def report_label(self, lang: str) -> str:
        """The report label in ``lang`` (``sv`` or ``en``)."""
        return self.sv if lang == "sv" else self.en

    def report_priority_label(self, lang: str) -> str:
        """The report's per-priority label in ``lang``."""
        own = self.priority_sv if lang == "sv" else self.priority_en
        return own or self.report_label(lang)


BANDS: Final = ((0, 30), (31, 60), (61, 90), (91, 120), (121, 180), (181, 365), (366, None))
"""SKR's wait bands, calendar days (the last one open)."""

GUARANTEE_BANDS: Final = 3
"""The first three bands are within the 90-day guarantee."""


def _band(i: int, lo: int, hi: int | None) -> Kpi:
    name = f"band_{lo}_{hi}" if hi is not None else f"band_{lo}_plus"
    label = f"{lo}–{hi} d" if hi is not None else f"{lo}+ d"
    span = f"{lo}–{hi}" if hi is not None else f"{lo} or more"
    return Kpi(
        name=name,
        kind="share",
        range="share",
        # a shift between the bands within 90 days is not better or worse by itself
        direction=None if i < GUARANTEE_BANDS else "lower",
        definition=(
            f"SKR wait band {span} days: of the patients waiting at the month ends in the "
            "collection period (PVV excluded), pooled over the month ends, the share who "
            f"have waited {span} calendar days."
        ),
        sv=label,
        en=label,
    )


_BAND_KPIS = tuple(_band(i, lo, hi) for i, (lo, hi) in enumerate(BANDS))

KPIS: Final[tuple[Kpi, ...]] = (
    Kpi(
        name="share_waiting_within_guarantee",
        kind="share",
        range="share",
        direction="higher",
        definition=(
            "SKR: andel väntande inom 90 dagar — at each month end in the collection period, "
            "of the patients still waiting (patient-chosen waiting, PVV, excluded; MOV is "
            "not modelled), the share who have waited ≤ 90 calendar days; the mean of the "
            "monthly shares."
        ),
        terminal="Waiting ≤ 90 d (month ends)",
        markdown="Share waiting ≤ {limit} d (month ends, excl. PVV)",
        sv="Väntande ≤ {limit} d (månadsslut)",
        en="Waiting ≤ {limit} d (month ends)",
        priority="waiting ≤ {limit}",
        priority_sv="Väntande inom egen gräns (månadsslut)",
        priority_en="Waiting within own limit (month ends)",
    ),
    Kpi(
        name="share_completed_within_guarantee",
        kind="share",
        range="share",
        direction="higher",
        definition=(
            "SKR: andel genomförda inom 90 dagar — of the visits/treatments carried out in "
            "the collection period, the share within 90 calendar days; PVV excluded."
        ),
        terminal="Completed ≤ 90 d",
        markdown="Share completed ≤ {limit} d (excl. PVV)",
        sv="Genomförda ≤ {limit} d",
        en="Completed ≤ {limit} d",
        priority="completed ≤ {limit}",
        priority_sv="Genomförda inom egen gräns",
        priority_en="Completed within own limit",
    ),
    Kpi(
        name="mean_wait_days",
        kind="days",
        range="non_negative",
        direction="lower",
        definition=(
            "Mean waiting time (days, continuous) of everyone served in the collection "
            "period, PVV included — what patients actually experienced."
        ),
        terminal="Mean wait, days",
        markdown="Mean wait, days",
        sv="Medelväntetid, dagar",
        en="Mean wait, days",
        priority="mean wait, days",
    ),
    Kpi(
        name="median_wait_days",
        kind="days",
        range="non_negative",
        direction="lower",
        definition=(
            "Median waiting time (days, continuous) of everyone served in the collection "
            "period, PVV included."
        ),
        terminal="Median wait, days",
        sv="Medianväntetid, dagar",
        en="Median wait, days",
    ),
    Kpi(
        name="p90_wait_days",
        kind="days",
        range="non_negative",
        direction="lower",
        definition=(
            "90th percentile of the waiting time (days, continuous) of everyone served in "
            "the collection period, PVV included."
        ),
        terminal="90th pct wait, days",
        markdown="90th percentile wait, days",
        sv="90:e percentilen, dagar",
        en="90th percentile wait, days",
        priority="90th pct wait, days",
    ),
    *_BAND_KPIS,
    Kpi(
        name="equity_gap",
        kind="share",
        range="share",
        direction="lower",
        definition=(
            "Max − min across sub-regions (the patients' home municipalities) of the SKR "
            "share waiting within 90 days (share_waiting_within_guarantee)."
        ),
        terminal="Equity gap (sub-regions)",
        markdown="Equity gap between sub-regions (waiting ≤ {limit} d)",
        sv="Skillnad mellan delregioner",
        en="Equity gap (sub-regions)",
    ),
    Kpi(
        name="mean_travel_km",
        kind="km",
        range="non_negative",
        direction="lower",
        definition=(
            "Mean travel distance (km) from the home area to the serving unit, of those "
            "served in the collection period."
        ),
        terminal="Mean travel, km",
        markdown="Mean travel, km",
        sv="Medelresväg, km",
        en="Mean travel, km",
    ),
    Kpi(
        name="share_outside_home_unit",
        kind="share",
        range="share",
        direction="lower",
        definition=(
            "Of those served in the collection period, the share served at a unit other "
            "than their home (catchment) unit."
        ),
        terminal="Outside home unit",
        markdown="Share outside home unit",
        sv="Utanför hemenheten",
        en="Outside home unit",
    ),
    Kpi(
        name="share_other_region",
        kind="share",
        range="share",
        # care bought from a neighbouring region is a transfer between regions and the
        # point of sharing capacity, not a loss by itself
        direction=None,
        definition=(
            "Utomlänsvård: of those served in the collection period, the share served at a "
            "unit of another administrative region (county council) than their home area's; "
            "0 in a one-region file."
        ),
        terminal="Treated in another region",
        markdown="Share treated in another region",
        sv="Vård i annan region",
        en="Treated in another region",
        cross_region=True,
    ),
    Kpi(
        name="cross_region_cost_sek",
        kind="sek",
        range="non_negative",
        direction=None,
        definition=(
            "The number of patients served in another region × the scenario's price per "
            "referral for the stage (cross_region), over the measured period, per "
            "replication; by unit what it bills, by area and sub-region what the home "
            "region pays."
        ),
        terminal="Cross-region cost, SEK",
        markdown="Cross-region cost, SEK",
        sv="Kostnad för vård i annan region, kr",
        en="Cross-region cost, SEK",
        cross_region=True,
    ),
    Kpi(
        name="utilisation",
        kind="share",
        range="share",
        direction="higher",
        definition=(
            "Capacity used / capacity offered in the collection period (slots, or server "
            "time); a no-show wastes its slot. Not split by priority."
        ),
        terminal="Utilisation",
        markdown="Utilisation",
        sv="Kapacitetsutnyttjande",
        en="Utilisation",
    ),
    Kpi(
        name="arrived",
        kind="count",
        range="non_negative",
        # demand: the same under every policy
        direction=None,
        definition="Referrals that arrived (clock started) in the collection period.",
        terminal="Arrived",
        sv="Inkomna",
        en="Arrived",
    ),
    Kpi(
        name="completed",
        kind="count",
        range="non_negative",
        direction="higher",
        definition="Visits/treatments carried out in the collection period.",
        terminal="Completed",
        markdown="Completed in the period",
        sv="Genomförda",
        en="Completed",
        priority="completed",
    ),
    Kpi(
        name="withdrawn",
        kind="count",
        range="non_negative",
        direction="lower",
        definition="Referrals withdrawn (not served) in the collection period.",
        terminal="Withdrawn",
        sv="Avförda",
        en="Withdrawn",
    ),
    Kpi(
        name="patient_chosen_waits",
        kind="count",
        range="non_negative",
        # a declined offer is the patient's choice, neither good nor bad for the region
        direction=None,
        definition=(
            "SKR patientvald väntan (PVV): waits the patient chose (a declined offer) that "
            "began in the collection period."
        ),
        terminal="Patient-chosen waits (PVV)",
        markdown="Patient-chosen waits (PVV) begun",
        sv="Patientvald väntan (PVV)",
        en="Patient-chosen waits (PVV)",
    ),
    Kpi(
        name="share_patient_chosen",
        kind="share",
        range="share",
        # a policy that offers times the patients decline makes them wait by choice
        direction="lower",
        definition=(
            "Of the referrals that arrived in the collection period, the share whose "
            "patient-chosen waiting (PVV) began before the horizon."
        ),
        terminal="Patient-chosen waiting, share",
        markdown="Share of arrivals with patient-chosen waiting",
        sv="Patientvald väntan, andel",
        en="Patient-chosen waiting, share",
    ),
    Kpi(
        name="no_shows",
        kind="count",
        range="non_negative",
        direction="lower",
        definition="Booked visits/treatments the patient did not come to, in the period.",
        terminal="No-shows",
        sv="Uteblivna",
        en="No-shows",
    ),
    Kpi(
        name="waiting_at_horizon",
        kind="count",
        range="non_negative",
        direction="lower",
        definition=(
            "Referrals still waiting (not served, not withdrawn, PVV included) at the end "
            "of the last day: not served within the horizon."
        ),
        terminal="Waiting at the horizon",
        markdown="Waiting at the horizon (not served)",
        sv="Väntar vid horisontens slut",
        en="Waiting at the end of the horizon",
    ),
    Kpi(
        name="waiting_at_month_end",
        kind="count",
        range="non_negative",
        direction="lower",
        definition=(
            "SKR: antal väntande — the number of patients waiting at a month end in the "
            "collection period (PVV excluded), the mean over the month ends."
        ),
        terminal="Waiting at month ends (mean)",
        markdown="Number waiting at month ends (mean, excl. PVV)",
        sv="Antal väntande (månadsslut, medel)",
        en="Number waiting (month ends, mean)",
    ),
    Kpi(
        name="share_waiting_within_guarantee_incl_pvv",
        kind="share",
        range="share",
        direction="higher",
        definition=(
            "SKR andel väntande inom 90 dagar with patient-chosen waiting (PVV) included: "
            "everyone waiting at the month ends counted."
        ),
        terminal="Waiting ≤ 90 d incl. PVV",
        markdown="Share waiting ≤ {limit} d (month ends, incl. PVV)",
        sv="Väntande ≤ {limit} d inkl. PVV",
        en="Waiting ≤ {limit} d incl. PVV",
    ),
    Kpi(
        name="share_completed_within_guarantee_incl_pvv",
        kind="share",
        range="share",
        direction="higher",
        definition=(
            "SKR andel genomförda inom 90 dagar with patient-chosen waiting (PVV) included: "
            "every visit/treatment in the period counted."
        ),
        terminal="Completed ≤ 90 d incl. PVV",
        markdown="Share completed ≤ {limit} d (incl. PVV)",
        sv="Genomförda ≤ {limit} d inkl. PVV",
        en="Completed ≤ {limit} d incl. PVV",
    ),
)
"""Every KPI, in report (and JSON) order."""

CATALOGUE: Final[dict[str, Kpi]] = {k.name: k for k in KPIS}
"""The KPIs by name."""

BAND_NAMES: Final[tuple[str, ...]] = tuple(k.name for k in _BAND_KPIS)
"""The SKR band KPIs, in band order (the report's band chart)."""

TERMINAL: Final[tuple[str, ...]] = (
    "share_waiting_within_guarantee",
    "share_waiting_within_guarantee_incl_pvv",
    "share_completed_within_guarantee",
    "share_completed_within_guarantee_incl_pvv",
    "mean_wait_days",
    "median_wait_days",
    "p90_wait_days",
    "equity_gap",
    "mean_travel_km",
    "share_outside_home_unit",
    "share_other_region",
    "cross_region_cost_sek",
    "utilisation",
    "arrived",
    "completed",
    "withdrawn",
    "waiting_at_month_end",
    "waiting_at_horizon",
    "patient_chosen_waits",
    "share_patient_chosen",
    "no_shows",
)
"""Rows of the ``remiss simulate`` terminal tables (summary and paired), in order;
each official share is followed by the same share with PVV included."""

REPORT: Final[tuple[str, ...]] = TERMINAL
"""Rows of the HTML report's KPI table: the terminal rows (the cross-region rows
always shown). The bands are in their own chart (:data:`BAND_NAMES`)."""

MARKDOWN: Final[tuple[str, ...]] = (
    "share_waiting_within_guarantee",
    "share_waiting_within_guarantee_incl_pvv",
    "share_completed_within_guarantee",
    "share_completed_within_guarantee_incl_pvv",
    "mean_wait_days",
    "p90_wait_days",
    "equity_gap",
    "mean_travel_km",
    "share_outside_home_unit",
    "utilisation",
    "completed",
    "waiting_at_horizon",
    "share_other_region",
    "cross_region_cost_sek",
    "patient_chosen_waits",
    "share_patient_chosen",
)
"""Rows of ``remiss scenarios table``, in order (the :attr:`Kpi.cross_region` rows only
when some policy has a value other than 0)."""

PRIORITY: Final[tuple[str, ...]] = (
    "share_completed_within_guarantee",
    "share_waiting_within_guarantee",
    "mean_wait_days",
    "p90_wait_days",
    "completed",
)
"""Rows per priority group (terminal, Markdown and report): the shares against each
group's own limit."""


def labelled(
    names: tuple[str, ...], output: Literal["terminal", "markdown", "priority"]
) -> tuple[tuple[str, str, Kind], ...]:
    """``(name, label, kind)`` of each KPI in ``names`` with its label for ``output``
    (the rows of a table). ``ValueError`` if one has no label there."""
    rows = []
    for name in names:
        entry = kpi(name)
        label = getattr(entry, output)
        if label is None:
            raise ValueError(f"KPI {name!r} has no {output} label")
        rows.append((name, label, entry.kind))
    return tuple(rows)


def kpi(name: str) -> Kpi:
    """The catalogue entry of ``name`` (``KeyError`` naming the known ones otherwise)."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown KPI {name!r}; known: {', '.join(CATALOGUE)}") from None
