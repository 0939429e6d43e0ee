"""The forecast from the live queue (issue 13): the actual waiting list simulated forward.

- :mod:`~simulering.forecast.run`: :func:`run_forecast` (Interface B);
- :mod:`~simulering.forecast.weekly`: one replication read week by week (queue,
  breaches, SKR's month-end share, each listed referral's breach week);
- :mod:`~simulering.forecast.document`: the replications summarised into the document;
- :mod:`~simulering.forecast.worklist`: the coordinator's breach worklist;
- :mod:`~simulering.forecast.backtest`: :func:`backtest`, realised against forecast.
"""

from simulering.forecast.backtest import backtest
from simulering.forecast.errors import ForecastError
from simulering.forecast.run import STAGES, forecast_replication, run_forecast

__all__ = ["STAGES", "ForecastError", "backtest", "forecast_replication", "run_forecast"]
