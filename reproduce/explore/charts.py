"""The page's charts: a Streamlit component (st.components.v2, in the page itself, no iframe) whose figure
keeps its canvases across reruns; static/charts.js draws the figure specs of plots.py with uPlot.

st.plotly_chart remounts every chart on every rerun and draws it twice; at rank 8 the four charts took
~0.5 s of the browser's time per keypress, this component ~0.03 s (paper/docs/performance.md).
"""
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

STATIC = Path(__file__).with_name("static")
# Streamlit serves a declared component's folder at component/<name>/: that is how the browser gets
# charts.js and the vendored uPlot (static/uPlot.LICENSE); the declared v1 component itself is never shown.
_ASSETS = components.declare_component("explorer_assets", path=str(STATIC))
ASSETS = f"component/{_ASSETS.name}/"
# A tiny loader: the component's own code is sent with every instance on every rerun, charts.js only once.
_LOADER = """
export default function (component) {
  const base = new URL(component.data.assets, document.baseURI).href;
  window.__explorerCharts ??= import(base + "charts.js");
  window.__explorerCharts.then(m => m.render(component, base));
}
"""
_chart = st.components.v2.component("explorer_chart", js=_LOADER, isolate_styles=False)


def show(figure: dict, key: str):
    """Draw a figure spec (plots.py) under a stable key: the same key updates the same canvases."""
    _chart(key=key, data=dict(figure=figure, assets=ASSETS))
