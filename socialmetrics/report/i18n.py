"""Words and number formats of the report in German (default) and English.

German: 1.234,5 · +12 % · 0,4 Pp. · 16.11.2026. English: 1,234.5 · +12% · 0.4 pp · 16 Nov 2026.
A number a network does not report is shown as "–" (with "keine Angabe" in the legend), never as 0.
"""

from __future__ import annotations

import datetime as dt
import math

LANGUAGES = ("de", "en")
NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2013"
NETWORK_NAMES = {"facebook": "Facebook", "linkedin": "LinkedIn", "x": "X", "xing": "Xing", "instagram": "Instagram"}
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Wochenbericht Social Media", "Weekly social-media report"),
    "week": ("Kalenderwoche", "Week"),
    "week_short": ("KW", "W"),
    "generated": ("erstellt am", "generated on"),
    "data_as_of": ("Datenstand", "data as of"),
    "overview": ("Überblick", "Overview"),
    "figure": ("Kennzahl", "Figure"),
    "this_week": ("Diese Woche", "This week"),
    "vs_previous": ("ggü. Vorwoche", "vs previous week"),
    "vs_average": ("ggü. 4-Wochen-Schnitt", "vs 4-week average"),
    "reach": ("Reichweite", "Reach"),
    "impressions": ("Impressionen", "Impressions"),
    "engagements": ("Interaktionen", "Engagements"),
    "engagement_rate": ("Engagement-Rate", "Engagement rate"),
    "follower_gain": ("Follower-Zuwachs", "Follower growth"),
    "followers": ("Follower (Wochenende)", "Followers (end of week)"),
    "comments": ("Kommentare", "Comments"),
    "tone": ("Tonfall der Kommentare", "Tone of the comments"),
    "posts": ("Beiträge", "Posts"),
    "days": ("Tage mit Daten", "Days with data"),
    "not_reported": ("keine Angabe", "not reported"),
    "no_value": ("keine Daten", "no data"),
    "legend_dash": (
        "– = keine Angabe: das Netzwerk liefert diese Zahl nicht oder es fehlen Daten (siehe Abschnitt 4).",
        "– = not reported: the network does not give this number, or data is missing (see section 4).",
    ),
    "footnote_reach": (
        "Reichweite: Summe der täglich erreichten Personen ({networks}); eine Person zählt einmal pro Tag.",
        "Reach: daily unique people reached, added up ({networks}); a person counts once a day.",
    ),
    "footnote_no_reach": ("{networks} liefert keine Reichweite.", "{networks} reports no reach."),
    "footnote_rate": (
        "Engagement-Rate: Interaktionen ÷ Impressionen, beide über die Woche summiert.",
        "Engagement rate: engagements ÷ impressions, both summed over the week.",
    ),
    "footnote_average": (
        "4-Wochen-Schnitt: Mittel der vier Wochen vor dieser Woche. Raten: Differenz in Prozentpunkten (Pp.).",
        "4-week average: mean of the four weeks before this one. Rates: difference in percentage points (pp).",
    ),
    "footnote_incomplete": (
        "* weniger Tage mit Daten als in der Vergleichszeit: die Veränderung ist nur eingeschränkt vergleichbar.",
        "* fewer days with data than in the comparison period: the change is only partly comparable.",
    ),
    "followers_total": ("{n} Follower", "{n} followers"),
    "growth_of": ("{pct} der Follower", "{pct} of followers"),
    "previous_value": ("Vorwoche: {v}", "previous: {v}"),
    "average_value": ("Schnitt: {v}", "average: {v}"),
    "networks_side_by_side": ("Netzwerke im Vergleich", "Networks side by side"),
    "tone_none": (
        "Die Kommentaranalyse hat noch keine Daten (Tabelle marts.comment_sentiment fehlt).",
        "The comment analysis has no data yet (table marts.comment_sentiment is missing).",
    ),
    "tone_empty": (
        "Für diese Woche liegen keine analysierten Kommentare vor.",
        "There are no analysed comments for this week.",
    ),
    "tone_line": (
        "{positive} positiv, {neutral} neutral, {negative} negativ (Saldo {net}; {n} analysierte Kommentare).",
        "{positive} positive, {neutral} neutral, {negative} negative (net {net}; {n} analysed comments).",
    ),
    "tone_uncertain": (
        "{n} davon mit unsicherem Tonfall: nicht in den Anteilen gezählt.",
        "{n} of them with an uncertain tone: not counted in the shares.",
    ),
    "tone_short": ("{positive} positiv · {negative} negativ", "{positive} positive · {negative} negative"),
    "tone_topics": ("Häufigste Themen: {topics}.", "Most frequent topics: {topics}."),
    "net_sentiment": ("Tonfall (Saldo positiv − negativ)", "Tone (net: positive − negative)"),
    "comments_source": (
        "Kommentare: die Zahl des Netzwerks; wo es keine Seitensumme gibt (Facebook), die geladenen Kommentare.",
        "Comments: the network's own count; where it gives no page total (Facebook), the comments loaded.",
    ),
    "trend": ("Verlauf der letzten 13 Wochen", "The last 13 weeks"),
    "trend_intro": (
        "Je Netzwerk eine Linie (eigene Linienart und Markierung); die grau hinterlegte Woche ist diese Woche. "
        "Lücken bedeuten: keine Angabe.",
        "One line per network (own line style and marker); the shaded week is this week. Gaps mean: not reported.",
    ),
    "chart_reach": ("Reichweite je Woche", "Reach per week"),
    "chart_engagement_rate": ("Engagement-Rate je Woche", "Engagement rate per week"),
    "chart_follower_gain": ("Follower-Zuwachs je Woche", "Follower growth per week"),
    "chart_comments": ("Kommentare je Woche", "Comments per week"),
    "chart_tone": ("Tonfall der Kommentare je Woche (Saldo)", "Tone of the comments per week (net)"),
    "chart_none": ("Keine Daten für diese Grafik.", "No data for this chart."),
    "points": ("{n} Datenpunkte", "{n} data points"),
    "iso_week_axis": ("Kalenderwoche", "ISO week"),
    "this_week_mark": ("diese Woche", "this week"),
    "posts_and_campaigns": ("Beiträge und Kampagnen", "Posts and campaigns"),
    "top_posts": ("Die 3 stärksten Beiträge der Woche", "Top 3 posts of the week"),
    "bottom_posts": ("Die 3 schwächsten Beiträge der Woche", "Bottom 3 posts of the week"),
    "posts_none": ("In dieser Woche wurden keine Beiträge veröffentlicht.", "No posts were published this week."),
    "posts_ranked_by": (
        "Sortiert nach Interaktionen (Reaktionen + Kommentare + Teilungen + Klicks), Stand {as_of}; "
        "{n} Beiträge in dieser Woche.",
        "Ranked by engagements (reactions + comments + shares + clicks), as of {as_of}; {n} posts this week.",
    ),
    "published": ("Veröffent\u00adlicht", "Published"),
    "col_impressions": ("Impres\u00adsionen", "Impres\u00adsions"),
    "col_reach": ("Reich\u00adweite", "Reach"),
    "col_engagements": ("Inter\u00adaktionen", "Engage\u00adments"),
    "col_engagement_rate": ("Engage\u00adment-Rate", "Engage\u00adment rate"),
    "col_comments": ("Kommen\u00adtare", "Com\u00adments"),
    "network": ("Netzwerk", "Network"),
    "post": ("Beitrag", "Post"),
    "no_text": ("(ohne Text)", "(no text)"),
    "campaigns": ("Kampagnen", "Campaigns"),
    "campaigns_none": (
        "Keine Kampagne in den letzten 13 Wochen.",
        "No campaign in the last 13 weeks.",
    ),
    "campaigns_method": (
        "Erwartet wird, was die eigenen 8 Wochen vor der Kampagne je Wochentag nahelegen; der 95-%-Bereich "
        "stammt aus den Schwankungen der eigenen Vorgeschichte.",
        "Expected is what the account's own 8 weeks before the campaign suggest per weekday; the 95% range "
        "comes from the swings of its own history.",
    ),
    "campaign_running": ("läuft", "running"),
    "campaign_ended": ("beendet", "ended"),
    "campaign_planned": ("geplant", "planned"),
    "campaign_all_networks": ("alle Netzwerke", "all networks"),
    "control": ("Zum Vergleich (nicht beworben)", "For comparison (not promoted)"),
    "quality": ("Datenqualität und fehlende Daten", "Data quality and missing data"),
    "missing": ("Fehlende Daten", "Missing data"),
    "missing_none": (
        "Alle konfigurierten Konten haben Zahlen für alle 7 Tage.",
        "Every configured account has numbers for all 7 days.",
    ),
    "missing_days": ("fehlt: {days} ({n} von 7 Tagen)", "missing: {days} ({n} of 7 days)"),
    "not_collected": ("Ohne Angabe in dieser Woche", "Not reported this week"),
    "not_collected_line": ("{network}: keine Angabe zu {metrics}.", "{network}: no value for {metrics}."),
    "quality_checks": ("Fehlgeschlagene Qualitätsprüfungen", "Failed quality checks"),
    "quality_none": (
        "Alle Qualitätsprüfungen der Läufe dieser Woche waren erfolgreich.",
        "Every quality check of this week's runs passed.",
    ),
    "connector_warnings": ("Hinweise der Datenabrufe", "Warnings from the data fetches"),
    "warnings_none": ("Keine Hinweise.", "No warnings."),
    "severity_blocking": ("blockierend", "blocking"),
    "severity_warning": ("Warnung", "warning"),
    "suite": ("Prüfung", "Check"),
    "details": ("Details", "Details"),
    "runs": ("Läufe", "Runs"),
    "more": ("… und {n} weitere", "… and {n} more"),
    "affected": ("{n} betroffen", "{n} affected"),
    "account": ("Konto", "Account"),
    "reason": ("Grund", "Reason"),
    "code": ("Code", "Code"),
    "message": ("Meldung", "Message"),
}

REASONS: dict[str, tuple[str, str]] = {
    "never_loaded": (
        "Für dieses Konto wurde noch nie etwas geladen: Zugang (Airflow-Verbindung {conn}) und Konto-ID prüfen.",
        "Nothing has ever been loaded for this account: check its access (Airflow connection {conn}) and its id.",
    ),
    "file_import": (
        "{network} hat keine Schnittstelle: für diese Tage liegt keine Import-Datei vor. "
        "Den Export der Seite in den Import-Ordner legen{folder}.",
        "{network} has no API: no import file covers these days. Drop the page's export into the import "
        "folder{folder}.",
    ),
    "extract_failed": (
        "Lauf {run} (geladen am {at}) brachte Daten anderer Konten, aber keine für dieses: der Abruf ist "
        "fehlgeschlagen, oft wegen eines abgelaufenen Tokens (Airflow-Verbindung {conn} erneuern). Die genaue "
        "Meldung steht im Log der Aufgabe extract dieses Laufs.",
        "Run {run} (loaded on {at}) brought data for other accounts but none for this one: the fetch failed, "
        "often because of an expired token (renew Airflow connection {conn}). The exact message is in the log "
        "of that run's extract task.",
    ),
    "last_data": ("Letzte Zahlen dieses Kontos: {day}.", "Latest numbers of this account: {day}."),
    "no_numbers": (
        "Lauf {run} (geladen am {at}) hat diese Tage des Kontos abgerufen, aber das Netzwerk lieferte für sie "
        "keine Zahlen und nannte keinen Grund.",
        "Run {run} (loaded on {at}) read these days of the account, but the network gave no numbers for them "
        "and named no reason.",
    ),
    "no_numbers_noted": (
        "Lauf {run} (geladen am {at}) hat diese Tage des Kontos abgerufen, aber das Netzwerk lieferte für sie "
        "keine Zahlen. Der Abruf vermerkte: {detail}",
        "Run {run} (loaded on {at}) read these days of the account, but the network gave no numbers for them. "
        "The fetch noted: {detail}",
    ),
    "not_covered": (
        "Lauf {run} (geladen am {at}) hat das Konto abgerufen, aber nicht diese Tage: das Netzwerk oder das "
        "Lesebudget begrenzt, wie weit ein nächtlicher Lauf zurückliest. Ein Backfill dieser Tage holt sie nach.",
        "Run {run} (loaded on {at}) fetched the account but not these days: the network or the read budget "
        "limits how far back a nightly run reads. A backfill of these days fetches them.",
    ),
    "not_fetched": (
        "Noch kein Lauf hat diese Tage abgerufen (der nächtliche Lauf oder ein Backfill steht aus).",
        "No run has fetched these days yet (the nightly run or a backfill is still to come).",
    ),
}

METRIC_WORDS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # metric: ((German noun, German with article), (English noun, English with article))
    "reach": (("Reichweite", "die Reichweite"), ("reach", "reach")),
    "impressions": (("Impressionen", "die Impressionen"), ("impressions", "impressions")),
    "engagements": (("Interaktionen", "die Interaktionen"), ("engagements", "engagements")),
}

CAMPAIGN_SENTENCES: dict[str, tuple[str, str]] = {
    "clear_up": (
        "{campaign} brachte auf {network} {lift} {metric} (95-%-Bereich {low} bis {high}).",
        "{campaign} brought {lift} {metric} on {network} (95% range {low} to {high}).",
    ),
    "clear_down": (
        "Während {campaign} lag {the_metric} auf {network} {lift_abs} unter dem Erwarteten "
        "(95-%-Bereich {low} bis {high}).",
        "During {campaign}, {the_metric} on {network} was {lift_abs} below what was expected "
        "(95% range {low} to {high}).",
    ),
    "inconclusive": (
        "Eine Wirkung von {campaign} auf {the_metric} ({network}) lässt sich nicht sicher belegen "
        "(gemessen {lift}, 95-%-Bereich {low} bis {high}).",
        "An effect of {campaign} on {the_metric} ({network}) cannot be shown with confidence "
        "(measured {lift}, 95% range {low} to {high}).",
    ),
    "inconclusive_history": (
        "Eine Wirkung von {campaign} auf {the_metric} ({network}) lässt sich nicht sicher belegen: zu wenig "
        "Vorgeschichte (nötig sind mindestens 8 Wochen Zahlen vor dem Start).",
        "An effect of {campaign} on {the_metric} ({network}) cannot be shown with confidence: too little "
        "history (it takes at least 8 weeks of numbers before the start).",
    ),
    "no_evidence": (
        "Kein Hinweis auf eine Wirkung von {campaign} auf {the_metric} ({network}): {lift} "
        "(95-%-Bereich {low} bis {high}); sicher erkennbar wären erst etwa {mde}.",
        "No sign that {campaign} changed {the_metric} ({network}): {lift} (95% range {low} to {high}); "
        "only about {mde} would have been detectable.",
    ),
    "control_row": (
        "{network}, {metric}: {lift} (95-%-Bereich {low} bis {high}).",
        "{network}, {metric}: {lift} (95% range {low} to {high}).",
    ),
}


def text(key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang`, with `{placeholders}` filled."""
    de, en = TEXTS[key] if key in TEXTS else REASONS[key] if key in REASONS else CAMPAIGN_SENTENCES[key]
    template = de if lang == "de" else en
    return template.format(**values) if values else template


def network_name(network: str) -> str:
    """Facebook, LinkedIn, X, Xing; other networks capitalised."""
    return NETWORK_NAMES.get(network, network[:1].upper() + network[1:])


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _localise(formatted: str, lang: str) -> str:
    """Turn Python's 1,234.5 into 1.234,5 for German; a real minus sign for negatives."""
    if lang == "de":
        formatted = formatted.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return formatted.replace("-", MINUS)


def number(value: float | None, lang: str, digits: int = 0, *, dash: str = DASH) -> str:
    """1.234 / 1,234 (or with `digits` decimals); "–" when not reported."""
    if _missing(value):
        return dash
    assert value is not None
    return _localise(f"{value:,.{digits}f}", lang)


def signed(value: float | None, lang: str, digits: int = 0, *, dash: str = DASH) -> str:
    """+1.234 / −12: always with a sign (0 stays "±0")."""
    if _missing(value):
        return dash
    assert value is not None
    if round(value, digits) == 0:
        return "\u00b10"
    return ("+" if value > 0 else "") + number(value, lang, digits)


def percent(fraction: float | None, lang: str, digits: int = 1, *, sign: bool = False, dash: str = DASH) -> str:
    """0.0423 -> "4,2 %" (de) / "4.2%" (en); with `sign` "+4,2 %"."""
    if _missing(fraction):
        return dash
    assert fraction is not None
    core = signed(100 * fraction, lang, digits) if sign else number(100 * fraction, lang, digits)
    return core + (f"{NBSP}%" if lang == "de" else "%")


def change_percent(ratio: float | None, lang: str, *, dash: str = DASH) -> str:
    """A relative change (0.12 -> "+12 %"); one decimal below 10 %."""
    if _missing(ratio):
        return dash
    assert ratio is not None
    return percent(ratio, lang, 0 if abs(ratio) >= 0.095 else 1, sign=True)


def lift(pct: float | None, lang: str, *, sign: bool = True) -> str:
    """A lift in percent (32.4 -> "+32 %"), as marts.campaign_impact stores it (already x 100)."""
    if _missing(pct):
        return DASH
    assert pct is not None
    body = signed(pct, lang, 0) if sign else number(abs(pct), lang, 0)
    return body + (f"{NBSP}%" if lang == "de" else "%")


def points(diff: float | None, lang: str, digits: int = 1, *, dash: str = DASH) -> str:
    """A difference of two rates in percentage points: "+0,4 Pp." / "+0.4 pp"."""
    if _missing(diff):
        return dash
    assert diff is not None
    return signed(100 * diff, lang, digits) + (f"{NBSP}Pp." if lang == "de" else f"{NBSP}pp")


def date(day: dt.date, lang: str) -> str:
    """16.11.2026 / 16 Nov 2026."""
    if lang == "de":
        return f"{day:%d.%m.%Y}"
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def date_range(first: dt.date, last: dt.date, lang: str) -> str:
    """09.11.2026–15.11.2026 / 9 Nov 2026–15 Nov 2026 (a single day once)."""
    if first == last:
        return date(first, lang)
    return f"{date(first, lang)}{DASH}{date(last, lang)}"
