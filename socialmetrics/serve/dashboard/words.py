"""The dashboard's words in German (default) and English; numbers and dates come from the report's i18n."""

from __future__ import annotations

from socialmetrics.serve.report import i18n

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Social-Media-Dashboard", "Social-media dashboard"),
    "login_title": ("Anmelden", "Sign in"),
    "password": ("Passwort", "Password"),
    "login": ("Anmelden", "Sign in"),
    "login_wrong": ("Das Passwort stimmt nicht.", "That password is not right."),
    "login_unset": (
        "Für das Dashboard ist kein Passwort gesetzt (SOCIALMETRICS_DASHBOARD_PASSWORD). `make dashboard` "
        "legt eines an; in Docker steht es in .env.",
        "The dashboard has no password set (SOCIALMETRICS_DASHBOARD_PASSWORD). `make dashboard` creates one; "
        "with Docker it is in .env.",
    ),
    "logout": ("Abmelden", "Sign out"),
    "language": ("Sprache", "Language"),
    "page": ("Seite", "Page"),
    "period": ("Zeitraum", "Period"),
    "quick": ("Schnellwahl", "Quick choice"),
    "q_custom": ("eigener Zeitraum", "custom period"),
    "q_last_7": ("letzte 7 Tage", "last 7 days"),
    "q_last_28": ("letzte 28 Tage", "last 28 days"),
    "q_last_week": ("letzte ganze Kalenderwoche", "last whole week"),
    "q_last_month": ("letzter ganzer Monat", "last whole month"),
    "q_last_90": ("letzte 90 Tage", "last 90 days"),
    "q_year_to_date": ("dieses Jahr bis heute", "year to date"),
    "from": ("Von", "From"),
    "to": ("Bis", "To"),
    "apply": ("Anwenden", "Apply"),
    "date_hint": ("TT.MM.JJJJ, z. B. {example}", "YYYY-MM-DD or DD.MM.YYYY, e.g. {example}"),
    "bad_date": (
        "„{value}“ ist kein gültiges Datum ({field}). Bitte als TT.MM.JJJJ eingeben, z. B. {example}.",
        "“{value}” is not a valid date ({field}). Please enter it as YYYY-MM-DD or DD.MM.YYYY, e.g. {example}.",
    ),
    "bad_order": (
        "Der Zeitraum endet ({end}) vor seinem Beginn ({start}): bitte „Von“ und „Bis“ tauschen.",
        "The period ends ({end}) before it starts ({start}): please swap “From” and “To”.",
    ),
    "too_long": (
        "Der Zeitraum ist länger als {days} Tage: bitte kürzer wählen.",
        "The period is longer than {days} days: please choose a shorter one.",
    ),
    "no_copy": (
        "Es gibt noch keine Daten für das Dashboard ({path}): erst `make demo` ausführen (oder den nächtlichen "
        "Lauf abwarten), dann die Seite neu laden.",
        "There is no data for the dashboard yet ({path}): run `make demo` first (or wait for the nightly run), "
        "then reload the page.",
    ),
    "data_as_of": ("Datenstand: Zahlen bis {day}", "Data as of: numbers up to {day}"),
    "compared_with": ("verglichen mit {period}", "compared with {period}"),
    # pages
    "p_overview": i18n.TEXTS["overview"],
    "p_networks": ("Netzwerke", "Networks"),
    "p_posts": i18n.TEXTS["cmp_posts"],
    "p_comments": i18n.TEXTS["comments"],
    "p_campaigns": i18n.TEXTS["campaigns"],
    "p_web": ("Website", "Website"),
    "p_quality": ("Datenqualität", "Data quality"),
    "p_open_questions": ("Offene Fragen", "Open questions"),
    "p_goals": ("Ziele", "Goals"),
    "p_competitors": ("Wettbewerb", "Competitors"),
    # overview
    "this_period": ("Zeitraum", "Period"),
    "previous_period": ("Vorzeitraum", "Previous period"),
    "change": ("Veränderung", "Change"),
    "note": ("Hinweis", "Note"),
    "tone": i18n.TEXTS["net_sentiment"],
    "st_ok": ("", ""),
    "st_no_value": ("keine Daten in diesem Zeitraum", "no data in this period"),
    "st_no_previous": ("keine Zahlen im Vorzeitraum", "no numbers for the previous period"),
    "st_this_week_partial": (
        "nicht jeder Tag des Zeitraums hat Zahlen: kein Vergleich",
        "not every day of the period has numbers: no comparison",
    ),
    "st_previous_partial": (
        "nicht jeder Tag des Vorzeitraums hat Zahlen: kein Vergleich",
        "not every day of the previous period has numbers: no comparison",
    ),
    "st_accounts_differ": (
        "andere Konten als im Vorzeitraum: kein Vergleich",
        "other accounts than in the previous period: no comparison",
    ),
    "overview_note": (
        "Verglichen wird nur Gleiches mit Gleichem: dieselben Konten, jeder Tag beider Zeiträume mit Zahlen "
        "(wie im Wochenbericht). Reichweite: täglich erreichte Personen, addiert.",
        "Like for like only: the same accounts, every day of both periods with numbers (as in the weekly "
        "report). Reach: daily unique people reached, added up.",
    ),
    # networks
    "daily": ("Tag für Tag", "Day by day"),
    "weekly": ("Woche für Woche", "Week by week"),
    "followers": ("Follower (letzter Tag)", "Followers (last day)"),
    # posts
    "filter_networks": ("Netzwerke", "Networks"),
    "all_networks": ("alle", "all"),
    "filter_tag": ("Tag (ohne #)", "Tag (without #)"),
    "filter_text": ("Text enthält", "Text contains"),
    "sort_by": ("Sortieren nach", "Sort by"),
    "sort_published": ("Veröffentlichung (neueste zuerst)", "Published (newest first)"),
    "sort_engagements": i18n.TEXTS["engagements"],
    "sort_engagement_rate": i18n.TEXTS["engagement_rate"],
    "sort_impressions": i18n.TEXTS["impressions"],
    "sort_comments": i18n.TEXTS["comments"],
    "posts_count": ("{n} Beiträge", "{n} posts"),
    "filter_formats": ("Formate", "Formats"),
    "all_formats": ("alle", "all"),
    "format_text": ("Text", "text"),
    "format_image": ("Bild", "image"),
    "format_video": ("Video", "video"),
    "format_link": ("Link", "link"),
    "format_album": ("Album/Karussell", "album/carousel"),
    "format_reel": ("Reel", "reel"),
    "format_poll": ("Umfrage", "poll"),
    "format_other": ("Sonstiges", "other"),
    "post_detail": ("Ein Beitrag im Detail", "One post in detail"),
    "choose_post": i18n.TEXTS["post"],
    "open_post": ("Beitrag im Netzwerk öffnen", "Open the post on its network"),
    "no_link": ("(kein sicherer Link)", "(no safe link)"),
    "post_comments": ("{n} Kommentare zu diesem Beitrag", "{n} comments on this post"),
    "no_posts": (
        "Keine Beiträge in diesem Zeitraum mit diesen Filtern.",
        "No posts in this period with these filters.",
    ),
    # comments
    "positive": ("positiv", "positive"),
    "neutral": ("neutral", "neutral"),
    "negative": ("negativ", "negative"),
    "tone_over_time": ("Tonfall Woche für Woche", "Tone week by week"),
    "topics": ("Themen", "Topics"),
    "no_comments": ("Keine Kommentare in diesem Zeitraum.", "No comments in this period."),
    # campaigns
    "no_campaigns": ("Noch keine Kampagne ausgewertet.", "No campaign evaluated yet."),
    "campaign_details": ("Alle Zahlen der Kampagnen", "Every figure of the campaigns"),
    "controls": ("Vergleichsnetzwerke (ohne Kampagne):", "Control networks (no campaign):"),
    # web
    "web_by_network": ("Besuche und Conversions nach Netzwerk", "Visits and conversions by network"),
    "web_goals": ("Ziele", "Goals"),
    "no_web": ("Keine Website-Zahlen in diesem Zeitraum.", "No website numbers in this period."),
    # quality
    "missing": ("Was fehlt und warum", "What is missing and why"),
    "nothing_missing": ("In diesem Zeitraum fehlt nichts.", "Nothing is missing in this period."),
    "missing_line": (
        "{network} {account}, Woche ab {week}: {days} Tage ohne Zahlen. {reason}",
        "{network} {account}, week of {week}: {days} days without numbers. {reason}",
    ),
    "not_reported_line": (
        "{network} {account}, Woche ab {week}: keine Angabe für {figures}.",
        "{network} {account}, week of {week}: not reported: {figures}.",
    ),
    "run_issues": ("Prüfungen und Warnungen der Läufe", "Checks and warnings of the runs"),
    "no_issues": ("Keine Auffälligkeiten der Läufe in diesem Zeitraum.", "No issues of the runs in this period."),
    "optional_note": ("Aus {table}.", "From {table}."),
    "no_rows": ("Keine Zeilen in diesem Zeitraum.", "No rows in this period."),
}


def word(key: str, lang: str, **values: object) -> str:
    """The dashboard's word `key`, else the report's (i18n.TEXTS and friends), with `{placeholders}` filled."""
    if key not in WORDS:
        return i18n.text(key, lang, **values)
    de, en = WORDS[key]
    template = de if lang == "de" else en
    return template.format(**values) if values else template
