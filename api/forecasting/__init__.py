"""The forecast from the live queue (issue 13): the service's database on a date becomes
a scenario (:mod:`~api.forecasting.snapshot`, with rates estimated from the database's
own history, :mod:`~api.forecasting.estimates`), which the simulation forecasts
(:func:`simulering.forecast.run_forecast`) and, for a past date, back-tests against what
happened since (:mod:`~api.forecasting.forecast`).

``remiss forecast`` (:mod:`api.cli.forecast`) and ``POST /v1/forecasts``
(:mod:`api.service.forecast_jobs`) both run :func:`~api.forecasting.forecast.forecast`.
"""
