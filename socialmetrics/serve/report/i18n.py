"""Words and number formats of the report in German (default) and English.

German: 1.234,5 · +12 % · 0,4 Pp. · 16.11.2026. English: 1,234.5 · +12% · 0.4 pp · 16 Nov 2026.
Numbers, percentages and dates are formatted by Babel (locales de_DE and en_GB).
A number a network does not report is shown as "–" (with "keine Angabe" in the legend), never as 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("de", "en")
NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2013"
NETWORK_NAMES = {"facebook": "Facebook", "linkedin": "LinkedIn", "x": "X", "xing": "Xing", "instagram": "Instagram"}
LOCALES = {"de": "de_DE", "en": "en_GB"}
DATE_PATTERNS = {"de": "dd.MM.yyyy", "en": "d MMM yyyy"}

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
        "Verglichen wird nur Gleiches: dieselben Netzwerke an allen 7 Tagen auf beiden Seiten, sonst steht – mit "
        "dem Grund. 4-Wochen-Schnitt: die ganzen Wochen unter den vier Wochen davor; eine Rate als Summe der "
        "Interaktionen ÷ Summe der Impressionen dieser Wochen. Raten: Differenz in Prozentpunkten (Pp.).",
        "Like is compared with like only: the same networks on all 7 days on both sides, otherwise – with the "
        "reason. 4-week average: the whole weeks among the four weeks before; a rate as the sum of engagements ÷ "
        "the sum of impressions of those weeks. Rates: difference in percentage points (pp).",
    ),
    "cmp_no_previous": ("keine Zahlen der Vorwoche", "no numbers for the previous week"),
    "cmp_this_week_partial": (
        "nicht vergleichbar: diese Woche fehlen Tage ({accounts})",
        "not comparable: days are missing this week ({accounts})",
    ),
    "cmp_previous_partial": (
        "nicht vergleichbar: in der Vorwoche fehlen Tage ({accounts})",
        "not comparable: days are missing in the previous week ({accounts})",
    ),
    "cmp_accounts_differ": (
        "nicht vergleichbar: Vorwoche mit {previous}, diese Woche mit {now}",
        "not comparable: the previous week from {previous}, this week from {now}",
    ),
    "avg_no_whole_weeks": (
        "kein Schnitt: keine der 4 Wochen davor hat dieselben Netzwerke an allen 7 Tagen",
        "no average: none of the 4 weeks before has the same networks on all 7 days",
    ),
    "avg_fewer_weeks": ("Schnitt aus {n} ganzen Wochen: {v}", "average of {n} whole weeks: {v}"),
    "avg_left_out": (
        "ohne KW {weeks} (unvollständig oder andere Netzwerke)",
        "without W{weeks} (partial or other networks)",
    ),
    "account_days": ("{account} {n} von 7 Tagen", "{account} {n} of 7 days"),
    "comments_analysed_sub": ("davon {m} analysiert", "{m} of them analysed"),
    "comments_line": ("{n} Kommentare, davon {m} analysiert", "{n} comments, {m} of them analysed"),
    "comments_reason_texts": (
        "{network} zählt {n} Kommentare, liefert aber nur {loaded} davon als Text, und nur Texte lassen sich "
        "analysieren",
        "{network} counts {n} comments but gives only {loaded} of them as text, and only texts can be analysed",
    ),
    "comments_reason_pending": (
        "{network}: {k} geladene Kommentare sind noch nicht analysiert",
        "{network}: {k} loaded comments are not analysed yet",
    ),
    "comments_reason_tone_only": (
        "{network}: ohne Tageszahlen in dieser Woche, die {k} analysierten Kommentare zählen nur im Tonfall",
        "{network}: no daily numbers this week, the {k} analysed comments count in the tone only",
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
    "posts_heading": ("Beiträge der Woche je Netzwerk", "Posts of the week by network"),
    "posts_network": ("{network}: {n} Beiträge", "{network}: {n} posts"),
    "top_posts": ("die stärksten", "top"),
    "bottom_posts": ("die schwächsten", "weakest"),
    "posts_none": ("In dieser Woche wurden keine Beiträge veröffentlicht.", "No posts were published this week."),
    "posts_ranked_by": (
        "Jedes Netzwerk für sich, sortiert nach Interaktionen (Reaktionen + Kommentare + Teilungen + Klicks), "
        "Stand {as_of}: die Netzwerke zählen Impressionen und Interaktionen verschieden, deshalb wird ein Beitrag "
        "nur mit Beiträgen desselben Netzwerks verglichen. {n} Beiträge in dieser Woche.",
        "Each network on its own, ranked by engagements (reactions + comments + shares + clicks), as of {as_of}: "
        "networks count impressions and engagements differently, so a post is compared only with posts of the "
        "same network. {n} posts this week.",
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
    "quality_summary_ok": (
        "Alle Prüfungen der Daten dieser Woche waren erfolgreich; die Abrufe meldeten nichts Besonderes.",
        "Every check of this week's data passed; the fetches reported nothing unusual.",
    ),
    "quality_summary": (
        "{checks} Prüfung(en) mit Befund und {warnings} Hinweis(e) der Abrufe: Details im technischen Anhang.",
        "{checks} check(s) with findings and {warnings} warning(s) from the fetches: details in the technical "
        "appendix.",
    ),
    "appendix": ("Technischer Anhang", "Technical appendix"),
    "appendix_intro": (
        "Für die Betreuung der Datenabrufe: die Läufe, Verbindungen und Prüfungen hinter den Abschnitten 1–4.",
        "For whoever runs the data fetches: the runs, connections and checks behind sections 1–4.",
    ),
    "week_runs": ("Läufe mit Zahlen dieser Woche: {runs}.", "Runs that loaded this week's numbers: {runs}."),
    "missing_tech": ("Fehlende Daten: technische Details", "Missing data: technical details"),
    "reason": ("Grund", "Reason"),
    "code": ("Code", "Code"),
    "message": ("Meldung", "Message"),
    # -- "Was hat es gebracht?" (socialmetrics/serve/report/web.py, templates/_web.html.j2)
    "web_title": ("Was hat es gebracht?", "What did it bring?"),
    "web_intro": (
        "Besuche auf der Website über Social Media, Abschlüsse je Ziel und Umsatz ({site})",
        "Website visits from social media, conversions per goal and revenue ({site})",
    ),
    "web_visits": ("Besuche über Social Media", "Visits from social media"),
    "web_conversions": ("Abschlüsse (alle Ziele)", "Conversions (all goals)"),
    "web_goal": ("{goal}", "{goal}"),
    "web_revenue": ("Umsatz (€)", "Revenue (€)"),
    "web_share": ("{share} aller {total} Besuche", "{share} of all {total} visits"),
    "web_per_network": ("Je Netzwerk", "Per network"),
    "web_other_social": ("andere Netzwerke", "other networks"),
    "web_connect": (
        "Keine Website-Analyse verbunden: mit Matomo oder Google Analytics 4 (nur Lesezugriff, Anleitung in "
        "docs/web.md) zeigt dieser Abschnitt Besuche, Anfragen und Umsatz aus Social Media.",
        "No website analytics connected: with Matomo or Google Analytics 4 (read-only access, how-to in "
        "docs/web.md) this section shows visits, enquiries and revenue from social media.",
    ),
    "web_no_numbers": (
        "Für diese Woche liegen von {site} noch keine Zahlen vor.",
        "There are no numbers from {site} for this week yet.",
    ),
    "web_cmp_no_previous": ("keine Zahlen der Vorwoche", "no numbers for the previous week"),
    "web_cmp_this_week_partial": (
        "nicht vergleichbar: {site} nur {n} von 7 Tagen",
        "not comparable: {site} only {n} of 7 days",
    ),
    "web_cmp_previous_partial": (
        "nicht vergleichbar: in der Vorwoche fehlen Tage von {site}",
        "not comparable: days of {site} are missing in the previous week",
    ),
    "web_avg_this_week_partial": (
        "kein Schnitt: {site} nur {n} von 7 Tagen",
        "no average: {site} only {n} of 7 days",
    ),
    "web_avg_no_whole_weeks": (
        "kein Schnitt: keine der 4 Wochen davor ist vollständig",
        "no average: none of the 4 weeks before is complete",
    ),
    "web_direct_limit": (
        "Besuche, die die App eines Netzwerks ohne Herkunft öffnet, zählt die Website-Analyse als „direkt“: sie "
        "fehlen hier (über markierte Links gezählt werden sie).",
        'Visits a network\'s app opens without a referrer count as "direct" in the website analytics: they are '
        "missing here (tagged links count them).",
    ),
    "web_like_for_like": (
        "Verglichen wird nur Gleiches: Wochen, für die {site} an allen 7 Tagen Zahlen lieferte.",
        "Like is compared with like only: weeks for which {site} gave numbers on all 7 days.",
    ),
    "web_others": (
        "Auch verbunden: {others} (dieselbe Website anders gemessen, daher nicht dazugezählt).",
        "Also connected: {others} (the same website measured differently, so not added).",
    ),
    "web_links_line": (
        "Von {posts} Beiträgen der Woche trugen {with_links} einen Link, davon {tagged} mit Kampagnen-Kennung "
        "(utm_campaign).",
        "Of the week's {posts} posts, {with_links} carried a link, {tagged} of those tagged with a campaign "
        "(utm_campaign).",
    ),
    "web_links_line_short": (
        "Von {posts} Beiträgen der Woche trugen {with_links} einen Link, davon {tagged} mit Kampagnen-Kennung "
        "(utm_campaign); {shortened} nur als Kurzlink, dessen Kennung sich nicht prüfen lässt.",
        "Of the week's {posts} posts, {with_links} carried a link, {tagged} of those tagged with a campaign "
        "(utm_campaign); {shortened} only as a short link whose tags cannot be checked.",
    ),
    "web_and": (" und ", " and "),
    "web_campaign_brought": (
        "{campaign}: {lift} Besuche über Social Media, sicher mehr als ohne Kampagne{mark}.",
        "{campaign}: {lift} visits from social media, clearly more than without the campaign{mark}.",
    ),
    "web_campaign_brought_goals": (
        "{campaign}: {lift} Besuche über Social Media, sicher mehr als ohne Kampagne{mark}, und {goals}.",
        "{campaign}: {lift} visits from social media, clearly more than without the campaign{mark}, and {goals}.",
    ),
    "web_campaign_unclear": (
        "{campaign}: {lift} Besuche über Social Media, nicht sicher von Zufall zu unterscheiden{mark}.",
        "{campaign}: {lift} visits from social media, not clearly different from chance{mark}.",
    ),
    "web_campaign_too_wide": (
        "{campaign}: Besuche über Social Media, zu wenig Daten für eine Aussage{mark}.",
        "{campaign}: visits from social media, too little data to tell{mark}.",
    ),
    "web_campaign_interval": (
        "{campaign}, Besuche über Social Media: gemessen {lift}, 95-%-Bereich {low} bis {high}.",
        "{campaign}, visits from social media: measured {lift}, 95% range {low} to {high}.",
    ),
    "web_campaign_goals_sentence": ("Bei den Zielen: {goals}.", "Goals: {goals}."),
    "web_campaign_goal_more": ("{n} {goal} mehr als erwartet{mark}", "{n} more {goal} than expected{mark}"),
    "web_campaign_goal_interval": (
        "{campaign}, {goal}: {n} mehr als erwartet, 95-%-Bereich {low} bis {high}.",
        "{campaign}, {goal}: {n} more than expected, 95% range {low} to {high}.",
    ),
    "web_campaign_goal_unclear": (
        "{goal}: {observed} statt erwartet {expected}, kein sicherer Unterschied",
        "{goal}: {observed} against {expected} expected, no clear difference",
    ),
    "web_campaign_cannot_tell": (
        "Was {campaign} auf der Website brachte, lässt sich noch nicht sagen: es fehlen 8 Wochen Website-Zahlen "
        "vor dem Start oder Zahlen aus der Kampagnenzeit.",
        "What {campaign} brought to the website cannot be told yet: it takes 8 weeks of website numbers before the "
        "start and numbers from the campaign's days.",
    ),
    # -- section "Im Vergleich" (socialmetrics/serve/report/competitors.py) --
    "cmp_title": ("Im Vergleich", "Compared with others"),
    "cmp_intro": (
        "Öffentliche Zahlen der Mitbewerber aus der Konfiguration, jede Nacht gelesen. Ihr Unternehmen steht "
        "dabei, berechnet aus denselben öffentlichen Zahlen (Follower, Likes, Kommentare, bei X Reposts), damit "
        "der Vergleich fair ist.",
        "Competitors' public numbers from the config, read every night. Your company is listed too, computed from "
        "the same public counts (followers, likes, comments, on X reposts), so the comparison is fair.",
    ),
    "cmp_company": ("Ihr Unternehmen (öffentliche Zahlen)", "Your company (public counts)"),
    "cmp_company_short": ("Ihr Unternehmen", "Your company"),
    "cmp_name": ("Konto", "Account"),
    "cmp_followers": ("Follower", "Followers"),
    "cmp_gain": ("Zuwachs", "Gain"),
    "cmp_growth": ("Follower-Wachstum", "Follower growth"),
    "cmp_posts": ("Beiträge", "Posts"),
    "cmp_per_post": ("Interaktionen je Beitrag", "Interactions per post"),
    "cmp_per_1000": ("Interaktionen je 1.000 Follower", "Interactions per 1,000 followers"),
    "cmp_above": (
        "Ihr Wachstum lag über dem Schnitt der {n} Mitbewerber.",
        "Your growth was above the average of the {n} competitors.",
    ),
    "cmp_below": (
        "Ihr Wachstum lag unter dem Schnitt der {n} Mitbewerber.",
        "Your growth was below the average of the {n} competitors.",
    ),
    "cmp_level": (
        "Ihr Wachstum lag genau im Schnitt der {n} Mitbewerber.",
        "Your growth was exactly the average of the {n} competitors.",
    ),
    "cmp_status_not_found": ("Konto nicht gefunden: Benutzernamen prüfen", "account not found: check the username"),
    "cmp_status_no_data": (
        "keine öffentlichen Zahlen (privat oder altersbeschränkt)",
        "no public numbers (private or age-restricted)",
    ),
    "cmp_left_out": ("{network} fehlt im Vergleich: {why}.", "{network} is left out: {why}."),
    "cmp_x_cost": (
        "X-Lesevorgänge der {n} Mitbewerber: höchstens {reads} je Nacht, etwa {month} US-Dollar im Monat.",
        "X reads of the {n} competitors: at most {reads} a night, about US$ {month} a month.",
    ),
    "cmp_none": ("Diese Woche wurde kein Mitbewerber gelesen.", "No competitor was read this week."),
    # the week in brief (highlights.py): the sentences that open the report
    "in_brief": ("Die Woche in Kürze", "The week in brief"),
    "hl_rose": (
        "Mehr als üblich: {figure} auf {network} {value} (sonst {low} bis {high} in den {weeks} ganzen Wochen davor).",
        "Above the normal range: {figure} on {network} {value} (otherwise {low} to {high} over the {weeks} whole "
        "weeks before).",
    ),
    "hl_fell": (
        "Weniger als üblich: {figure} auf {network} {value} (sonst {low} bis {high} in den {weeks} ganzen Wochen "
        "davor).",
        "Below the normal range: {figure} on {network} {value} (otherwise {low} to {high} over the {weeks} whole "
        "weeks before).",
    ),
    "hl_steady": (
        "Keine Kennzahl lag außerhalb ihrer üblichen Schwankung ({n} Kennzahlen der Konten, je gegen die 8 Wochen "
        "davor).",
        "No figure left its normal range ({n} figures of the accounts, each against the 8 weeks before).",
    ),
    "hl_no_range": (
        "Ob sich etwas über die übliche Schwankung hinaus bewegt hat: – (keine ganze Woche mit genug Vorgeschichte).",
        "Whether anything moved beyond its normal range: – (no whole week with enough history).",
    ),
    "hl_goals": ("Ziele (Stand {as_of}): {goals}.", "Goals (as of {as_of}): {goals}."),
    "hl_goal": (
        "„{goal}“ {status} ({value} von {target}; bei diesem Tempo {projected} bis {end})",
        "“{goal}” {status} ({value} of {target}; at this pace {projected} by {end})",
    ),
    "hl_goal_rate": ("„{goal}“ {status} ({value}, Ziel {target})", "“{goal}” {status} ({value}, target {target})"),
    "hl_goal_empty": ("„{goal}“ {status}", "“{goal}” {status}"),
    "hl_goal_unnamed": ("{figure} ({scope}, {period})", "{figure} ({scope}, {period})"),
    "hl_company": ("alle Konten", "all accounts"),
    "follower_total": ("Follower", "Followers"),
    "goal_web_visits": ("Website-Besuche", "Website visits"),
    "goal_web_conversions": ("Website-Conversions", "Website conversions"),
    "hl_reached": ("erreicht", "reached"),
    "hl_on_track": ("auf Kurs", "on track"),
    "hl_close": ("knapp", "close"),
    "hl_off_track": ("verfehlt", "off track"),
    "hl_no_data": ("noch ohne Daten", "no data yet"),
    "hl_posts": (
        "Von {n} Beiträgen auf {network} war der stärkste „{text}“ ({date}) mit {eng} Interaktionen "
        "(Engagement-Rate {rate}), der schwächste „{w_text}“ ({w_date}) mit {w_eng} ({w_rate}).",
        "Of {n} posts on {network}, the best was “{text}” ({date}) with {eng} engagements (engagement rate "
        "{rate}), the weakest “{w_text}” ({w_date}) with {w_eng} ({w_rate}).",
    ),
    "hl_one_post": (
        "Einziger Beitrag auf {network}: „{text}“ ({date}) mit {eng} Interaktionen (Engagement-Rate {rate}).",
        "The only post on {network}: “{text}” ({date}) with {eng} engagements (engagement rate {rate}).",
    ),
    "hl_no_posts": ("Diese Woche wurde kein Beitrag veröffentlicht.", "No post was published this week."),
    "hl_no_text": ("ohne Text", "no text"),
    "hl_suggest": (
        "Vorschlag: auf {network} {slots} posten – dort lag die Engagement-Rate über der eines "
        "durchschnittlichen Beitrags (Index 100; ausgewertet: {n} Beiträge).",
        "Suggestion: post on {network} {slots}: there the engagement rate beat that of an average post "
        "(index 100; based on {n} posts).",
    ),
    "hl_slot": ("{when} (Index {index}, {posts} Beiträge)", "{when} (index {index}, {posts} posts)"),
    "hl_weekday": ("am {day}", "on {day}s"),
    "hl_hour": ("um {hour} Uhr", "at {hour}"),
    "hl_and": (" und ", " and "),
    "hl_suggest_none": (
        "Für einen Vorschlag zur Posting-Zeit reicht die Datenlage noch nicht (nötig: ein Zeitpunkt mit mindestens "
        "{posts} Beiträgen und einer um {index} % höheren Engagement-Rate als ein durchschnittlicher Beitrag).",
        "The data do not yet support a suggestion for when to post (that takes a time slot with at least {posts} "
        "posts and an engagement rate {index}% above an average post).",
    ),
    # -- do we answer? (issue #30; socialmetrics/serve/report/care.py, templates/_care.html.j2) --
    "care_waiting_none": (
        "Keine Frage wartet seit über 24 Stunden auf eine Antwort",
        "No question has been waiting for an answer for more than 24 hours",
    ),
    "care_waiting_one": (
        "1 Frage wartet seit über 24 Stunden auf eine Antwort",
        "1 question has been waiting for an answer for more than 24 hours",
    ),
    "care_waiting_many": (
        "{n} Fragen warten seit über 24 Stunden auf eine Antwort",
        "{n} questions have been waiting for an answer for more than 24 hours",
    ),
    "care_waiting_one_complaints": (
        "1 Beschwerde wartet seit über 24 Stunden auf eine Antwort",
        "1 complaint has been waiting for an answer for more than 24 hours",
    ),
    "care_waiting_many_complaints": (
        "{n} Fragen und Beschwerden warten seit über 24 Stunden auf eine Antwort",
        "{n} questions and complaints have been waiting for an answer for more than 24 hours",
    ),
    "care_question": ("Frage", "question"),
    "care_complaint": ("Beschwerde", "complaint"),
    "care_hours": ("{h} Std.", "{h} h"),
    "care_more": (
        "… und {n} weitere (alle im Dashboard unter „Offene Fragen“).",
        "… and {n} more (all in the dashboard under “Open questions”).",
    ),
    "care_rate": (
        "Antwortquote diese Woche: {rate} ({answered} von {needing}; Vorwoche {previous})",
        "Answer rate this week: {rate} ({answered} of {needing}; previous week {previous})",
    ),
    "care_median": (
        "Median bis zur ersten Antwort: {median} (Vorwoche {previous})",
        "Median time to the first answer: {median} (previous week {previous})",
    ),
    "care_note": (
        "Gezählt werden Fragen und Beschwerden anderer, beantwortet heißt: eine Antwort des eigenen Kontos im selben "
        "Thread. Zeiten in Kalenderstunden (Nächte und Wochenenden zählen mit).",
        "Counted are other people's questions and complaints; answered means a reply by the company's own account in "
        "the same thread. Times are calendar hours (nights and weekends count).",
    ),
}

REASONS: dict[str, tuple[str, str]] = {  # the owner's words (section 4); details in TECH_REASONS (appendix)
    "never_loaded": (
        "Für dieses Konto liegen noch keine Zahlen vor: Zugang und Konto-ID sind zu prüfen (siehe technischer Anhang).",
        "There are no numbers for this account yet: its access and its id need checking (see the technical appendix).",
    ),
    "file_import": (
        "{network} hat keine Schnittstelle: für diese Tage liegt keine Import-Datei vor. "
        "Den Export der Seite in den Import-Ordner legen{folder}.",
        "{network} has no API: no import file covers these days. Drop the page's export into the import "
        "folder{folder}.",
    ),
    "extract_failed": (
        "Der Abruf vom {at} brachte Zahlen der anderen Konten, aber keine für dieses; meist ist der Zugang "
        "abgelaufen und muss erneuert werden (siehe technischer Anhang).",
        "The fetch of {at} brought numbers for the other accounts but none for this one; most often its access "
        "has expired and needs renewing (see the technical appendix).",
    ),
    "last_data": ("Letzte Zahlen dieses Kontos: {day}.", "Latest numbers of this account: {day}."),
    "no_numbers": (
        "Der Abruf vom {at} hat diese Tage gelesen, aber das Netzwerk lieferte für sie keine Zahlen und nannte "
        "keinen Grund.",
        "The fetch of {at} read these days, but the network gave no numbers for them and named no reason.",
    ),
    "no_numbers_noted": (
        "Der Abruf vom {at} hat diese Tage gelesen, aber das Netzwerk lieferte für sie keine Zahlen; seinen "
        "Hinweis zitiert der technische Anhang.",
        "The fetch of {at} read these days, but the network gave no numbers for them; the technical appendix "
        "quotes what it noted.",
    ),
    "not_covered": (
        "Der letzte Abruf hat das Konto gelesen, aber nicht diese Tage: das Netzwerk oder das Lesebudget "
        "begrenzt, wie weit ein nächtlicher Abruf zurückreicht. Ein Nachladen dieser Tage holt sie nach.",
        "The latest fetch read the account but not these days: the network or the read budget limits how far "
        "back a nightly fetch reaches. Loading these days again fetches them.",
    ),
    "not_fetched": (
        "Diese Tage wurden noch nicht abgerufen (der nächste nächtliche Abruf oder ein Nachladen steht aus).",
        "These days have not been fetched yet (the next nightly fetch or a reload is still to come).",
    ),
}

TECH_REASONS: dict[str, tuple[str, str]] = {
    "tech_never_loaded": (
        "meta.loads hat keinen Lauf für dieses Konto: Airflow-Verbindung {conn} und Konto-ID prüfen.",
        "meta.loads has no run for this account: check Airflow connection {conn} and the account id.",
    ),
    "tech_extract_failed": (
        "Lauf {run} (geladen am {at}): der Abruf ist fehlgeschlagen, oft wegen eines abgelaufenen Tokens "
        "(Airflow-Verbindung {conn} erneuern). Die genaue Meldung steht im Log der Aufgabe extract dieses Laufs.",
        "Run {run} (loaded on {at}): the fetch failed, often because of an expired token (renew Airflow "
        "connection {conn}). The exact message is in the log of that run's extract task.",
    ),
    "tech_no_numbers": (
        "Lauf {run} (geladen am {at}) hat diese Tage abgerufen; das Netzwerk lieferte keine Zahlen und nannte "
        "keinen Grund.",
        "Run {run} (loaded on {at}) read these days; the network gave no numbers and named no reason.",
    ),
    "tech_no_numbers_noted": (
        "Lauf {run} (geladen am {at}) hat diese Tage abgerufen. Der Abruf vermerkte: {detail}",
        "Run {run} (loaded on {at}) read these days. The fetch noted: {detail}",
    ),
    "tech_not_covered": (
        "Lauf {run} (geladen am {at}) hat das Konto abgerufen, aber nicht diese Tage; ein Backfill dieser Tage "
        "holt sie nach.",
        "Run {run} (loaded on {at}) fetched the account but not these days; a backfill of these days fetches them.",
    ),
}

METRIC_WORDS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # metric: ((German noun, German with article), (English noun, English with article))
    "reach": (("Reichweite", "die Reichweite"), ("reach", "reach")),
    "impressions": (("Impressionen", "die Impressionen"), ("impressions", "impressions")),
    "engagements": (("Interaktionen", "die Interaktionen"), ("engagements", "engagements")),
}

CAMPAIGN_SENTENCES: dict[str, tuple[str, str]] = {
    # The verdict in plain words; the measured lift's 95 % range goes to a footnote (campaign_interval).
    "clear_up": (
        "{campaign}: {lift} {metric} auf {network}, sicher mehr als ohne Kampagne.",
        "{campaign}: {lift} {metric} on {network}, clearly more than without the campaign.",
    ),
    "clear_down": (
        "{campaign}: {the_metric} auf {network} lag {lift_abs} unter dem Erwarteten, sicher weniger als ohne Kampagne.",
        "{campaign}: {the_metric} on {network} was {lift_abs} below what was expected, clearly less than without "
        "the campaign.",
    ),
    "inconclusive": (
        "{campaign}: {lift} {metric} auf {network}, nicht sicher von Zufall zu unterscheiden.",
        "{campaign}: {lift} {metric} on {network}, not clearly different from chance.",
    ),
    "inconclusive_history": (
        "{campaign}: {metric} auf {network}, noch zu wenig Daten (nötig sind mindestens 8 Wochen Zahlen vor dem "
        "Start).",
        "{campaign}: {metric} on {network}, too little data yet (it takes at least 8 weeks of numbers before the "
        "start).",
    ),
    "no_evidence": (
        "{campaign}: {lift} {metric} auf {network}, nicht sicher von Zufall zu unterscheiden.",
        "{campaign}: {lift} {metric} on {network}, not clearly different from chance.",
    ),
    "too_wide": (
        "{campaign}: {metric} auf {network}, zu wenig Daten für eine Aussage.",
        "{campaign}: {metric} on {network}, too little data to tell.",
    ),
    "control_row": ("{network}, {metric}: {lift}.", "{network}, {metric}: {lift}."),
    "control_row_wide": (
        "{network}, {metric}: zu wenig Daten für eine Aussage.",
        "{network}, {metric}: too little data to tell.",
    ),
    # the footnotes of the campaign sentences
    "campaign_interval": (
        "{campaign}, {metric} auf {network}: gemessen {lift}, 95-%-Bereich {low} bis {high}.",
        "{campaign}, {metric} on {network}: measured {lift}, 95% range {low} to {high}.",
    ),
    "campaign_interval_mde": (
        "{campaign}, {metric} auf {network}: gemessen {lift}, 95-%-Bereich {low} bis {high}; sicher erkennbar "
        "wären erst etwa {mde}.",
        "{campaign}, {metric} on {network}: measured {lift}, 95% range {low} to {high}; only about {mde} would "
        "have been detectable.",
    ),
    "control_interval": (
        "Zum Vergleich {network}, {metric}: 95-%-Bereich {low} bis {high}.",
        "For comparison {network}, {metric}: 95% range {low} to {high}.",
    ),
    "campaign_too_wide": (
        "Zu wenig Daten für eine Aussage: der 95-%-Bereich des Effekts reicht über +1.000 % oder von unter "
        "−25 % bis über +100 %, er sagt nichts (meist zu wenige Tage oder stark schwankende Zahlen).",
        "Too little data to tell: the effect's 95% range reaches beyond +1,000% or from below −25% to above "
        "+100%, so it says nothing (mostly too few days or numbers that swing a lot).",
    ),
}


def text(key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang`, with `{placeholders}` filled."""
    table = next(t for t in (TEXTS, REASONS, TECH_REASONS, CAMPAIGN_SENTENCES) if key in t)
    de, en = table[key]
    template = de if lang == "de" else en
    return template.format(**values) if values else template


def network_name(network: str) -> str:
    """Facebook, LinkedIn, X, Xing; other networks capitalised."""
    return NETWORK_NAMES.get(network, network[:1].upper() + network[1:])


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "en_GB")


def number(value: float | None, lang: str, digits: int = 0, *, dash: str = DASH) -> str:
    """1.234 / 1,234 (or with `digits` decimals); "–" when not reported. Babel, with a real minus sign."""
    if _missing(value):
        return dash
    assert value is not None
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang)).replace("-", MINUS)


def signed(value: float | None, lang: str, digits: int = 0, *, dash: str = DASH) -> str:
    """+1.234 / −12: always with a sign (0 stays "±0")."""
    if _missing(value):
        return dash
    assert value is not None
    if round(value, digits) == 0:
        return "\u00b10"
    return ("+" if value > 0 else "") + number(value, lang, digits)


def percent(fraction: float | None, lang: str, digits: int = 1, *, sign: bool = False, dash: str = DASH) -> str:
    """0.0423 -> "4,2 %" (de) / "4.2%" (en); with `sign` "+4,2 %". The locale's percent pattern (Babel)."""
    if _missing(fraction):
        return dash
    assert fraction is not None
    pattern = Locale.parse(_locale(lang)).percent_formats[None].pattern
    if digits:
        pattern = re.sub(r"0(?!.*0)", "0." + "0" * digits, pattern)
    body = format_percent(abs(fraction), format=pattern, locale=_locale(lang))
    if round(100 * fraction, digits) == 0:
        return ("\u00b1" if sign else "") + body
    return ("+" if sign and fraction > 0 else MINUS if fraction < 0 else "") + body


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
    return percent((pct if sign else abs(pct)) / 100, lang, 0, sign=sign)


def points(diff: float | None, lang: str, digits: int = 1, *, dash: str = DASH) -> str:
    """A difference of two rates in percentage points: "+0,4 Pp." / "+0.4 pp"."""
    if _missing(diff):
        return dash
    assert diff is not None
    return signed(100 * diff, lang, digits) + (f"{NBSP}Pp." if lang == "de" else f"{NBSP}pp")


def date(day: dt.date, lang: str) -> str:
    """16.11.2026 / 16 Nov 2026 (Babel)."""
    return format_date(day, DATE_PATTERNS.get(lang, "d MMM yyyy"), locale=_locale(lang))


def date_range(first: dt.date, last: dt.date, lang: str) -> str:
    """09.11.2026–15.11.2026 / 9 Nov 2026–15 Nov 2026 (a single day once)."""
    if first == last:
        return date(first, lang)
    return f"{date(first, lang)}{DASH}{date(last, lang)}"
