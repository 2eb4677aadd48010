"""The dashboard (Streamlit) the marketing person opens between reports: `make dashboard`.

It reads the readers' copy of the marts (socialmetrics/serve/readers.py), read-only, with a new connection
for every page it draws, so the nightly run's swap of the copy is seen at the next click and never waits
for it. Every figure it shows is a query on the marts (queries.py: the documented "mart queries"); the
page only formats them (socialmetrics/serve/report/i18n.py). docs/dashboard.md describes it.
"""
