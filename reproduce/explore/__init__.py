"""A live explorer of the S-curve toy models: `make explore` (or `python -m reproduce.explore`).

    core.py      settings -> validated config -> training -> tables (no browser; the tests call it)
    plots.py     the tables as Plotly figures
    app.py       the Streamlit page: controls, plots, TOML export and config loading
    __main__.py  starts the Streamlit server and prints its URL
"""
