"""A live explorer of the S-curve toy models: `make explore` (or `python -m reproduce.explore`).

    core.py      settings -> validated config -> training -> tables (no browser; the tests call it)
    plots.py     the tables as figure specs, with the colour rule (one colour per curve of a view)
    charts.py    the Streamlit component that draws them; static/charts.js draws with uPlot (vendored)
    app.py       the Streamlit page: controls, plots, TOML export and config loading
    __main__.py  starts the Streamlit server (warmed up: torch imported, one run trained) and prints its URL
"""
import threading

# Set while nothing is warming up (python -m reproduce.explore imports and trains once as the server starts;
# the page's first run waits for that instead of importing the same modules at the same time).
READY = threading.Event()
READY.set()
