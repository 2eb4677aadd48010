"""The script Streamlit runs (`streamlit run` through `python -m socialmetrics.serve.dashboard`)."""

from socialmetrics.serve.dashboard.ui import main

main()
