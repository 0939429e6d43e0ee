"""Instant analytic queueing estimates (``remiss estimate``).

Three families of closed-form results, each a pure function of plain numbers:

* **M/M/c** (Erlang C): Poisson referrals, exponential service, ``c`` identical
  servers, first come first served, infinite waiting room. Textbook results as in
  Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory* (4th ed.,
  §2.3), Kleinrock, *Queueing Systems* vol. 1 (§3.5).
* **Little's law** ``L = λ·W`` (Little 1961), valid for any stable queue.
* **Waiting-list formulas** of Fong K, Mushtaq Y, House T, Gordon D, Chen Y,
  Griffiths D, Ahmad S, Walton N. *Understanding Waiting Lists Pressures*. medRxiv
  2022, doi:10.1101/2022.08.23.22279117, implemented exactly as in the NHS-R
  Community reference implementation, the R package ``NHSRwaitinglist`` (CRAN 0.1.x,
  https://github.com/nhs-r-community/NHSRwaitinglist, files ``R/calc_*.R``). The
  function names and argument names are the same as there.

Units: every function works in *one* time unit chosen by the caller (days for the
care guarantee, weeks in Fong et al.). Rates are "per that unit", times are "in that
unit", queue sizes and loads are counts or pure numbers. Nothing here converts units.

Invalid input (negative rates, ``c < 1``, an unstable M/M/c queue with ``ρ ≥ 1``,
non-finite numbers) raises :class:`ValueError` with a message naming the argument.

One module per family: :mod:`~simulering.estimate.mmc`, :mod:`~simulering.estimate.little`
and :mod:`~simulering.estimate.waiting_list` (inputs checked by
:mod:`~simulering.estimate.checks`).
"""

from simulering.estimate.little import LittlesLawResult, littles_law
from simulering.estimate.mmc import MMcResult, erlang_b, erlang_c, mmc
from simulering.estimate.waiting_list import (
    DEFAULT_FACTOR,
    WaitingListResult,
    calc_queue_load,
    calc_relief_capacity,
    calc_target_capacity,
    calc_target_mean_wait,
    calc_target_queue_size,
    calc_waiting_list_pressure,
    factor_for_share,
    share_within_target,
    waiting_list,
)

__all__ = [
    "DEFAULT_FACTOR",
    "LittlesLawResult",
    "MMcResult",
    "WaitingListResult",
    "calc_queue_load",
    "calc_relief_capacity",
    "calc_target_capacity",
    "calc_target_mean_wait",
    "calc_target_queue_size",
    "calc_waiting_list_pressure",
    "erlang_b",
    "erlang_c",
    "factor_for_share",
    "littles_law",
    "mmc",
    "share_within_target",
    "waiting_list",
]
