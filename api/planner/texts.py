"""Every text of the planner app, in Swedish (the default) and English, in one place.

Templates read them as ``t.key`` (:class:`Texts`); a key missing from the catalogue is
a ``KeyError`` when the page renders, so no page silently shows a key's name. A test
checks that every key has both languages.
"""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["sv", "en"]
LANGS: Final[tuple[Lang, ...]] = ("sv", "en")
DEFAULT_LANG: Final[Lang] = "sv"

CATALOGUE: Final[dict[str, tuple[str, str]]] = {
    # --- frame -------------------------------------------------------------------------
    "app_name": ("remiss planering", "remiss planning"),
    "skip_to_content": ("Hoppa till innehållet", "Skip to content"),
    "nav_label": ("Huvudmeny", "Main menu"),
    "nav_library": ("Scenarier", "Scenarios"),
    "nav_runs": ("Körningar", "Runs"),
    "nav_compare": ("Jämför", "Compare"),
    "nav_queue": ("Kön just nu", "Live queue"),
    "switch_language": ("English", "Svenska"),
    "signed_in_as": ("Inloggad med nyckel", "Signed in with key"),
    "sign_out": ("Logga ut", "Sign out"),
    # --- sign-in -----------------------------------------------------------------------
    "sign_in_title": ("Logga in", "Sign in"),
    "sign_in_intro": (
        "Logga in med en API-nyckel med rollen planerare (remiss apikey create --role "
        "planner). Nyckeln byts mot en sessionskaka som gäller i 8 timmar.",
        "Sign in with an API key holding the planner role (remiss apikey create --role "
        "planner). The key is exchanged for a session cookie valid for 8 hours.",
    ),
    "api_key": ("API-nyckel", "API key"),
    "sign_in": ("Logga in", "Sign in"),
    "sign_in_failed": (
        "Okänd, återkallad eller felaktig nyckel, eller en nyckel utan rollen planerare.",
        "Unknown, revoked or malformed key, or a key without the planner role.",
    ),
    "sign_in_limited": (
        "För många misslyckade inloggningar från den här adressen. Försök igen om {minutes} min.",
        "Too many failed sign-ins from this address. Try again in {minutes} min.",
    ),
    "forged_title": ("Formuläret avvisades", "The form was refused"),
    "back": ("Tillbaka", "Back"),
    "signed_out": ("Du är utloggad.", "You are signed out."),
    "session_ended": (
        "Sessionen har gått ut eller nyckeln har återkallats. Logga in igen.",
        "The session has expired or the key was revoked. Sign in again.",
    ),
    "csrf_failed": (
        "Formuläret kunde inte verifieras (CSRF). Ladda om sidan och försök igen.",
        "The form could not be verified (CSRF). Reload the page and try again.",
    ),
    # --- library -----------------------------------------------------------------------
    "library_title": ("Scenariobiblioteket", "The scenario library"),
    "library_intro": (
        "Scenarierna i remiss bibliotek. Öppna ett för att se dess antaganden och källor "
        "och pröva en förändring.",
        "The scenarios of remiss's library. Open one to read its assumptions and sources "
        "and try a change.",
    ),
    "scenario": ("Scenario", "Scenario"),
    "title": ("Titel", "Title"),
    "open": ("Öppna", "Open"),
    "description": ("Beskrivning", "Description"),
    "sources": ("Källor", "Sources"),
    "assumptions": ("Antaganden", "Assumptions"),
    "units_and_capacity": ("Enheter och kapacitet", "Units and capacity"),
    "unit": ("Enhet", "Unit"),
    "stage_pool": ("Steg", "Stage"),
    "slots_per_week": ("Tider per vecka", "Slots per week"),
    "first_visit": ("Förstabesök", "First visit"),
    "treatment": ("Behandling", "Treatment"),
    "reductions": ("Kapacitetsminskningar", "Capacity reductions"),
    "period": ("Period", "Period"),
    "factor": ("Andel kvar", "Share kept"),
    "run_defaults": ("Körningens standardvärden", "The run's defaults"),
    # --- what-if -----------------------------------------------------------------------
    "whatif_title": ("Pröva en förändring", "Try a change"),
    "whatif_intro": (
        "Ändringarna blir scenarioändringar (samma som remiss simulate --set) och prövas "
        "mot scenarioformatet innan körningen startar.",
        "The changes become scenario overrides (as remiss simulate --set) and are checked "
        "against the scenario format before the run starts.",
    ),
    "policies": ("Styrningsprinciper", "Policies"),
    "replications": ("Replikeringar", "Replications"),
    "horizon_days": ("Tidshorisont (dagar)", "Horizon (days)"),
    "warmup_days": ("Uppvärmning (dagar)", "Warm-up (days)"),
    "capacity_changes": ("Kapacitet per enhet", "Capacity per unit"),
    "capacity_help": (
        "Tomt fält: oförändrat. Ett tal ersätter tider per vecka för hela perioden.",
        "Empty: unchanged. A number replaces the slots per week for the whole run.",
    ),
    "week_range": ("Kapacitet under vissa veckor", "Capacity in some weeks"),
    "week_range_help": (
        "Andel av kapaciteten som finns kvar veckorna från–till varje år (t.ex. 0,5 för "
        "halv kapacitet), för en enhet eller alla.",
        "Share of capacity kept in weeks from–to each year (e.g. 0.5 for half), for one "
        "unit or all.",
    ),
    "week_from": ("Från vecka", "From week"),
    "week_to": ("Till vecka", "To week"),
    "all_units": ("Alla enheter", "All units"),
    "demand_change": ("Förändring av efterfrågan (%)", "Demand change (%)"),
    "demand_help": (
        "Remisser per år ändras med så många procent (t.ex. 10 eller -5).",
        "Referrals per year change by this many per cent (e.g. 10 or -5).",
    ),
    "summer_factor": ("Sommarens kapacitet (andel kvar)", "Summer capacity (share kept)"),
    "summer_help": (
        "Ersätter andelen kapacitet som finns kvar under sommarperioden.",
        "Replaces the share of capacity kept in the summer period.",
    ),
    "start_run": ("Starta körningen", "Start the run"),
    "form_has_errors": (
        "Formuläret har fel; se fälten nedan.",
        "The form has errors; see the fields below.",
    ),
    "error_number": ("Ange ett tal.", "Enter a number."),
    "error_integer": ("Ange ett heltal.", "Enter a whole number."),
    "error_policy": ("Välj minst en styrningsprincip.", "Choose at least one policy."),
    "error_week": ("Veckor 1–53, från före till.", "Weeks 1–53, from before to."),
    "error_share": ("Ange en andel mellan 0 och 1.", "Enter a share between 0 and 1."),
    "no_summer": (
        "Scenariot har ingen sommarminskning att ändra.",
        "The scenario has no summer reduction to change.",
    ),
    # --- runs --------------------------------------------------------------------------
    "runs_title": ("Mina körningar", "My runs"),
    "no_runs": ("Inga körningar ännu.", "No runs yet."),
    "started": ("Startad", "Started"),
    "state": ("Läge", "State"),
    "progress": ("Förlopp", "Progress"),
    "changes": ("Ändringar", "Changes"),
    "state_queued": ("i kö", "queued"),
    "state_running": ("pågår", "running"),
    "state_done": ("klar", "done"),
    "state_failed": ("misslyckad", "failed"),
    "state_cancelled": ("avbruten", "cancelled"),
    "run_title": ("Körning", "Run"),
    "days_progress": ("{done} av {total} simulerade dagar", "{done} of {total} simulated days"),
    "replications_progress": ("{done} av {total} replikeringar", "{done} of {total} replications"),
    "time_left": ("ungefär {left} kvar", "about {left} left"),
    "progress_note": (
        "Förloppet räknas i simulerade dagar, för alla replikeringar och styrningsprinciper, "
        "och rör sig inom varje replikering; sidan uppdateras av sig själv.",
        "Progress counts simulated days, across all replications and policies, and moves "
        "within each replication; the page updates by itself.",
    ),
    "cancel": ("Avbryt körningen", "Cancel the run"),
    "error": ("Fel", "Error"),
    "results": ("Resultat", "Results"),
    "results_intro": (
        "Medelvärde över replikeringarna med 95 % konfidensintervall. Andelarna följer "
        "SKR:s definitioner (patientvald och medicinskt orsakad väntan undantagna).",
        "Mean over the replications with a 95 % confidence interval. The shares follow "
        "SKR's definitions (patient-chosen and medically caused waiting excluded).",
    ),
    "kpi": ("Mått", "Measure"),
    "by_priority": ("Per prioritetsgrupp", "Per priority group"),
    "priority": ("Prioritet", "Priority"),
    "paired_title": ("Parvisa skillnader mot", "Paired differences against"),
    "paired_intro": (
        "Principerna körs på samma patienter (samma slumptal) i varje replikering; "
        "skillnaden med 95 % intervall. n.s. = intervallet innehåller noll.",
        "The policies run on the same patients (the same random numbers) in each "
        "replication; the difference with its 95 % interval. n.s. = the interval holds zero.",
    ),
    "difference": ("Skillnad", "Difference"),
    "significant": ("Säker skillnad", "Significant"),
    "better": ("Bättre", "Better"),
    "not_significant": ("n.s.", "n.s."),
    "report": ("Rapporten med diagram", "The report with charts"),
    "open_report": ("Öppna rapporten (HTML)", "Open the report (HTML)"),
    "downloads": ("Ladda ner", "Download"),
    "download_json": ("Resultat som JSON", "Results as JSON"),
    "download_report": ("Rapporten som HTML-fil", "The report as an HTML file"),
    "download_parquet": ("Nyckeltalen som Parquet-tabell", "The KPIs as a Parquet table"),
    "parquet_note": (
        "Parquet-tabellen har en rad per nyckeltal, princip, steg och grupp (alla, "
        "prioritet, enhet, kommun, delregion): medelvärde och 95 % intervall över "
        "replikeringarna. Jobben sparar inte varje replikerings värden eller patientrader.",
        "The Parquet table has one row per KPI, policy, stage and group (all, priority, "
        "unit, area, sub-region): the mean and 95 % interval across the replications. "
        "Jobs keep neither each replication's values nor patient records.",
    ),
    "warnings": ("Varningar", "Warnings"),
    "compare_with": ("Jämför med en annan körning", "Compare with another run"),
    # --- compare -----------------------------------------------------------------------
    "compare_title": ("Jämför två körningar", "Compare two runs"),
    "compare_intro": (
        "Två klara körningar sida vid sida. Parvisa skillnader (samma slumptal) finns "
        "mellan principer inom en körning; mellan körningar visas skillnaden i medelvärde "
        "när körningarna har samma frö och antal replikeringar, annars bara värdena.",
        "Two finished runs side by side. Paired differences (same random numbers) are "
        "between the policies within a run; between runs the difference of the means is "
        "shown when the runs share seed and replications, else the values only.",
    ),
    "run_a": ("Körning A", "Run A"),
    "run_b": ("Körning B", "Run B"),
    "compare": ("Jämför", "Compare"),
    "b_minus_a": ("B − A", "B − A"),
    "same_seeds": (
        "Körningarna delar frö och replikeringar: samma patienter i båda.",
        "The runs share seed and replications: the same patients in both.",
    ),
    "different_seeds": (
        "Körningarna har olika frön eller antal replikeringar: ingen parad skillnad.",
        "The runs differ in seed or replications: no paired difference.",
    ),
    "need_two_runs": (
        "Välj två klara körningar.",
        "Choose two finished runs.",
    ),
    "policy": ("Princip", "Policy"),
    "seed": ("Frö", "Seed"),
    # --- queue -------------------------------------------------------------------------
    "queue_title": ("Kön just nu", "The live queue"),
    "queue_intro": (
        "Väntande remisser i den gemensamma kön per enhet, specialitet, steg och "
        "prioritet. Andel inom vårdgarantin som SKR räknar (patientvald väntan undantagen).",
        "Referrals waiting in the shared queue per unit, specialty, stage and priority. "
        "Share within the care guarantee as SKR computes it (patient-chosen waiting "
        "excluded).",
    ),
    "as_of": ("Per dag", "As of"),
    "specialty": ("Specialitet", "Specialty"),
    "stage": ("Steg", "Stage"),
    "waiting": ("Väntande", "Waiting"),
    "patient_chosen": ("Patientvald väntan", "Patient-chosen waiting"),
    "within_guarantee": ("Inom vårdgarantin", "Within the guarantee"),
    "share_within": ("Andel inom gränsen", "Share within the limit"),
    "queue_empty": ("Ingen väntar i kön.", "Nobody is waiting in the queue."),
    "per_unit": ("Per enhet", "Per unit"),
    "per_specialty": ("Per specialitet", "Per specialty"),
    "per_priority": ("Per prioritet", "Per priority"),
    "forecast_title": ("Prognos och brytlista", "Forecast and breach worklist"),
    "forecast_intro": (
        "Prognosen utgår från kön som den ser ut i dag: varje väntande remiss med sin "
        "verkliga väntetid, prioritet, hemområde, patientvald väntan och bokning, varje "
        "enhets kapacitetskalender och den inflödestakt som skattas ur tjänstens egen "
        "historik. Den visar vecka för vecka hur många som väntar och hur många som "
        "passerar sin vårdgarantigräns, med 95 %-prognosintervall, och brytlistan: de "
        "remisser som bryter gränsen i minst hälften av replikeringarna.",
        "The forecast starts from the queue as it is today: every waiting referral with "
        "its real wait, priority, home area, patient-chosen waiting and booking, each "
        "unit's capacity calendar, and the arrival rates estimated from the service's own "
        "history. It shows week by week how many wait and how many pass their care "
        "guarantee limit, with 95 % prediction intervals, and the breach worklist: the "
        "referrals that breach in at least half of the replications.",
    ),
    "forecast_start": ("Starta prognos", "Start forecast"),
    "forecast_weeks": ("Veckor framåt (1–52)", "Weeks ahead (1–52)"),
    "forecast_no_specialty": (
        "Ingen specialitet har väntande remisser att göra en prognos för.",
        "No specialty has waiting referrals to forecast.",
    ),
    "forecasts_yours": ("Dina prognoser", "Your forecasts"),
    "forecast_page_title": ("Prognos", "Forecast"),
    "forecast_summary": (
        "Väntande och vårdgarantibrott, hela regionen",
        "Waiting and breaches, whole region",
    ),
    "forecast_queue": ("Väntande [95 %-prognosintervall]", "Waiting [95 % prediction interval]"),
    "forecast_breaches": (
        "Passerar gränsen den veckan [95 %]",
        "Passing the limit that week [95 %]",
    ),
    "week": ("Vecka (måndag)", "Week (Monday)"),
    "worklist": ("Brytlista", "Breach worklist"),
    "worklist_intro": (
        "Remisserna som bryter vårdgarantin i minst hälften av replikeringarna, med den "
        "vecka det väntas ske och andelen replikeringar där det sker (de första 200; alla "
        "finns i JSON-filen och rapporten).",
        "The referrals that breach the care guarantee in at least half of the "
        "replications, with the week it is expected and the share of replications in "
        "which it happens (the first 200; all are in the JSON file and the report).",
    ),
    "worklist_empty": (
        "Ingen remiss bryter vårdgarantin i minst hälften av replikeringarna.",
        "No referral breaches the care guarantee in at least half of the replications.",
    ),
    "referral": ("Remiss", "Referral"),
    "expected_breach_week": ("Väntad vecka för brott", "Expected breach week"),
    "probability": ("Sannolikhet", "Probability"),
    "open_forecast_report": (
        "Öppna prognosrapporten (solfjädersdiagram per enhet, på svenska)",
        "Open the forecast report (fan charts per unit, in Swedish)",
    ),
    "download_forecast_json": ("Prognosen som JSON", "The forecast as JSON"),
    "not_found": ("Finns inte", "Not found"),
    "not_found_text": ("Sidan eller körningen finns inte.", "The page or run does not exist."),
}


class Texts:
    """The catalogue in one language: ``t.key`` or ``t["key"]``."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._i = LANGS.index(lang)

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):  # Jinja and copy probe dunders: not catalogue keys
            raise AttributeError(key)
        return self[key]

    def __getitem__(self, key: str) -> str:
        return CATALOGUE[key][self._i]


def texts(lang: Lang) -> Texts:
    """The texts of ``lang``."""
    return Texts(lang)


def as_lang(value: str | None) -> Lang | None:
    """``value`` if it names a language of the app, else None."""
    return next((lang for lang in LANGS if lang == value), None)
