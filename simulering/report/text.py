"""The report's words in Swedish and English (the KPI labels are in
:mod:`simulering.catalogue`)."""

from __future__ import annotations

from typing import Final

TEXT: Final[dict[str, dict[str, str]]] = {
    "sv": {
        "lang": "sv",
        "report": "Simuleringsrapport",
        "first_visit": "Förstabesök",
        "treatment": "Operation/åtgärd",
        "contents": "Innehåll",
        "summary": "Nyckeltal per policy",
        "summary_note": "Medelvärde över replikeringarna med 95 % konfidensintervall inom "
        "hakparentes. Andelar följer SKR:s definitioner (patientvald väntan undantagen); "
        "väntetider i dagar inkluderar alla.",
        "compliance": "Andel väntande inom vårdgarantin per månad",
        "compliance_note": "Andel av de väntande vid varje månadsslut som väntat högst "
        "{limits} dagar, hela regionen. Band: 95 % konfidensintervall över replikeringarna.",
        "compliance_note_units": "Andel av de väntande vid varje månadsslut som väntat högst "
        "{limits} dagar, hela regionen (köviktat medelvärde av enheterna). Dokumentet saknar "
        "månadsvärden per replikering: bandet visar spridningen mellan enheterna, inte ett "
        "konfidensintervall.",
        "band_ci": "95 % KI",
        "band_units": "spridning mellan enheter",
        "warmup": "uppvärmning (mäts ej)",
        "queue": "Antal väntande per enhet",
        "queue_note": "Väntande vid månadsslut (patientvald väntan undantagen), per "
        "hemenhet, medelvärde över replikeringarna.",
        "bands": "Väntetid i SKR:s intervall",
        "bands_note": "Fördelning av de väntandes väntetid vid månadsslut i mätperioden.",
        "equity": "Jämlikhet mellan delregioner",
        "equity_note": "Andel väntande inom vårdgarantin per delregion (patientens "
        "hemkommun), med 95 % konfidensintervall.",
        "map": "Kommunerna: andel väntande inom vårdgarantin",
        "map_note": "En punkt per kommun (storlek efter befolkning), färg efter andelen "
        "väntande inom vårdgarantin; kommunens namn och värde visas när pekaren hålls över "
        "punkten. Svarta romber är enheterna. Den grå ytan är en ungefärlig kontur av "
        "regionen runt kommunernas centralorter, ingen gräns.",
        "travel": "Resor och vård utanför hemenheten",
        "travel_note": "Medelresväg (km) och andel som fått vård vid en annan enhet än "
        "hemenheten, av de som fått vård i mätperioden.",
        "utilisation": "Kapacitetsutnyttjande per enhet",
        "utilisation_note": "Använd kapacitet delad med erbjuden kapacitet i mätperioden "
        "(uteblivna besök räknas som använda).",
        "paired": "Parvisa jämförelser",
        "paired_note": "Skillnad mellan policyer på samma patienter (gemensamma "
        "slumptal), medelvärde med 95 % konfidensintervall.",
        "paired_missing": "Dokumentet innehåller inga parvisa jämförelser.",
        "about": "Scenario och körning",
        "assumptions": "Antaganden",
        "sources": "Källor",
        "comparison": "Jämförelse",
        "stage": "Steg",
        "kpi": "Nyckeltal",
        "difference": "Skillnad [95 % KI]",
        "significant": "Signifikant",
        "better": "Bättre",
        "baseline": "Jämfört med",
        "confidence": "Konfidensnivå",
        "baseline_value": "Baslinje",
        "policy_value": "Policy",
        "yes": "ja",
        "no": "nej",
        "not_significant": "n.s.",
        "zero_rows": "Visas inte, noll för alla policyer och steg (ingen vård i annan region)",
        "scenario": "Scenario",
        "region": "Region",
        "seed": "Slumptalsfrö",
        "replications": "Replikeringar",
        "horizon": "Simulerade dagar",
        "warmup_days": "Uppvärmning, dagar",
        "measured": "Mätperiod, dagar",
        "policies": "Policyer",
        "version": "remiss-version",
        "share": "Andel",
        "patients": "Patienter",
        "km": "km",
        "none": "–",
        "pp": "p.e.",
        "subregion": "Delregion",
        "unit": "Enhet",
        "policy": "Policy",
        "month_end": "Månadsslut",
        "mean": "medel",
        "units_marker": "enheter",
        "no_data": "inga väntande",
        "priority": "Per prioritetsgrupp",
        "priority_note": "Varje prioritetsgrupp mätt mot sin egen gräns (t.ex. P1 inom "
        "14 dagar): medelvärde med 95 % konfidensintervall.",
        "priority_group": "Prioritetsgrupp",
        "warning": "Varning",
        "few_replications": "Endast {n} replikering(ar) (färre än {min}): 95 %-intervallen "
        "blir mycket breda och säger lite. Kör med minst {rec} replikeringar.",
        "opposite": "Läs båda måtten",
        "opposite_line": "{policy} jämfört med {baseline}, {stage}: den officiella andelen "
        "{what} inom {limit} dagar är {good} ({share}) men medelväntetiden är {bad} "
        "({wait}): {why}; läs båda.",
        "what_completed": "genomförda",
        "what_waiting": "väntande",
        "better_word": "bättre",
        "worse_word": "sämre",
        "why_pvv": "andelen räknar inte patientvald väntan",
        "why_limit": "andelen räknar bara vilka som passerat gränsen, medelvärdet varje väntad dag",
        "policy_separate": "Separata köer",
        "policy_shared": "Gemensam kö",
        "policy_shared_within_subregion": "Gemensam kö inom delregion",
        "policy_optimised": "Optimerad planering",
        "policy_patient_choice": "Patientens val",
        "policy_separate_by_hospital_group": "idag",
        "days_suffix": "d",
    },
    "en": {
        "lang": "en",
        "report": "Simulation report",
        "first_visit": "First visit",
        "treatment": "Treatment",
        "contents": "Contents",
        "summary": "KPIs per policy",
        "summary_note": "Mean over replications with the 95 % confidence interval in "
        "brackets. Shares follow SKR's definitions (patient-chosen waiting excluded); "
        "waits in days include everyone.",
        "compliance": "Share waiting within the guarantee, per month",
        "compliance_note": "Of the patients waiting at each month end, the share who have "
        "waited at most {limits} days, whole region. Band: 95 % confidence interval across "
        "replications.",
        "compliance_note_units": "Of the patients waiting at each month end, the share who "
        "have waited at most {limits} days, whole region (queue-weighted mean of the units). "
        "The document has no per-replication monthly values: the band shows the range "
        "across units, not a confidence interval.",
        "band_ci": "95 % CI",
        "band_units": "range across units",
        "warmup": "warm-up (not measured)",
        "queue": "Patients waiting per unit",
        "queue_note": "Waiting at month ends (patient-chosen waiting excluded), by home "
        "unit, mean over replications.",
        "bands": "Waiting time in SKR bands",
        "bands_note": "Distribution of the waits of those waiting at month ends in the "
        "measured period.",
        "equity": "Equity across sub-regions",
        "equity_note": "Share waiting within the guarantee by sub-region (the patient's home "
        "municipality), with 95 % confidence intervals.",
        "map": "Municipalities: share waiting within the guarantee",
        "map_note": "One point per municipality (size by population), coloured by the share "
        "waiting within the guarantee; hover over a point for the municipality's name and "
        "value. Black diamonds are the units. The grey shape is an approximate outline of "
        "the region around the municipalities' main towns, not a border.",
        "travel": "Travel and care outside the home unit",
        "travel_note": "Mean travel distance (km) and share seen at a unit other than the "
        "home unit, of those served in the measured period.",
        "utilisation": "Utilisation per unit",
        "utilisation_note": "Capacity used over capacity offered in the measured period "
        "(a no-show uses its slot).",
        "paired": "Paired comparisons",
        "paired_note": "Difference between policies on the same patients (common random "
        "numbers), mean with 95 % confidence interval.",
        "paired_missing": "The document has no paired comparisons.",
        "about": "Scenario and run",
        "assumptions": "Assumptions",
        "sources": "Sources",
        "comparison": "Comparison",
        "stage": "Stage",
        "kpi": "KPI",
        "difference": "Difference [95 % CI]",
        "significant": "Significant",
        "better": "Better",
        "baseline": "Compared with",
        "confidence": "Confidence level",
        "baseline_value": "Baseline",
        "policy_value": "Policy",
        "yes": "yes",
        "no": "no",
        "not_significant": "n.s.",
        "zero_rows": "Not shown, zero for every policy and stage (no care in another region)",
        "scenario": "Scenario",
        "region": "Region",
        "seed": "Seed",
        "replications": "Replications",
        "horizon": "Simulated days",
        "warmup_days": "Warm-up, days",
        "measured": "Measured period, days",
        "policies": "Policies",
        "version": "remiss version",
        "share": "Share",
        "patients": "Patients",
        "km": "km",
        "none": "–",
        "pp": "pp",
        "subregion": "Sub-region",
        "unit": "Unit",
        "policy": "Policy",
        "month_end": "Month end",
        "mean": "mean",
        "units_marker": "units",
        "no_data": "no one waiting",
        "priority": "By priority group",
        "priority_note": "Each priority group measured against its own limit (e.g. P1 "
        "within 14 days): mean with the 95 % confidence interval.",
        "priority_group": "Priority group",
        "warning": "Warning",
        "few_replications": "Only {n} replication(s) (fewer than {min}): the 95 % intervals "
        "are very wide and say little. Run at least {rec} replications.",
        "opposite": "Read both measures",
        "opposite_line": "{policy} vs {baseline}, {stage}: the official share {what} within "
        "{limit} days is {good} ({share}) but the mean wait is {bad} ({wait}): {why}; "
        "read both.",
        "what_completed": "completed",
        "what_waiting": "waiting",
        "better_word": "better",
        "worse_word": "worse",
        "why_pvv": "the share excludes patient-chosen waiting",
        "why_limit": "the share counts only who is past the limit, the mean every day waited",
        "policy_separate": "Separate lists",
        "policy_shared": "Shared list",
        "policy_shared_within_subregion": "Shared within sub-region",
        "policy_optimised": "Optimised",
        "policy_patient_choice": "Patient choice",
        "policy_separate_by_hospital_group": "today",
        "days_suffix": "d",
    },
}
LANGUAGES: Final = tuple(TEXT)
