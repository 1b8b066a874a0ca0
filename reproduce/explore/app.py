"""The explorer's page (Streamlit reruns this script on every change): controls left, live plots right.

    make explore            (or: python -m reproduce.explore)
"""
import time

import streamlit as st

import reproduce.explore
reproduce.explore.READY.wait()  # the server's warm-up imports these modules (explore/__main__.py)
from reproduce.core import bumps  # noqa: E402
from reproduce.core.errors import ConfigError, TrainingDiverged  # noqa: E402
from reproduce.explore import charts, core, plots  # noqa: E402
from reproduce.scurve import config  # noqa: E402

LONG_RUN_STEPS = 20_000  # runs longer than this show a progress bar (shorter ones finish in well under 1 s)

st.set_page_config(page_title="S-curve explorer", layout="wide")

for key, value in {**core.DEFAULTS, "model_rank": 0, "weights": ""}.items():  # first visit only
    st.session_state.setdefault(key, value)


def _load(path, index):
    """Put a config file's sweep member `index` into the controls (a Streamlit callback)."""
    try:
        _, members = core.load_file(path)
    except ConfigError as err:
        st.session_state["load_error"] = f"error: {err}"
        return
    s = members[index]
    st.session_state["load_error"] = ""
    for key in core.CONTROLS:
        if key == "model_rank":
            st.session_state[key] = s[key] or 0
        elif key == "weights":
            st.session_state[key] = ", ".join(str(w) for w in s[key])  # full precision
        elif key in ("init_std", "lr"):  # TOML may write 1 for 1.0; a float input needs a float
            st.session_state[key] = float(s[key])
        else:
            st.session_state[key] = s[key]
    # fields without a control (record_points, target_std, …) come along unchanged
    st.session_state["extra"] = {k: v for k, v in s.items() if k not in core.CONTROLS and k != "seeds"}


with st.sidebar:
    st.header("Settings")
    with st.expander("Load a config file", expanded=False):
        files = core.config_files()
        path = st.selectbox("config", files, format_func=lambda p: p.name, key="load_file")
        try:
            labels, _ = core.load_file(path)
        except ConfigError as err:
            labels = []
            st.caption(f"error: {err}")
        member = st.selectbox("sweep member", range(len(labels)), format_func=lambda i: labels[i],
                              key="load_member", disabled=len(labels) < 2)
        st.button("load", on_click=_load, args=(path, member or 0), disabled=not labels)
        st.caption("A file with several seeds loads its first; change `seed` to see the others.")
        if st.session_state.get("load_error"):
            st.error(st.session_state["load_error"])
    st.number_input("order n (factors per component)", min_value=1, max_value=6, step=1, key="order")
    st.number_input("rank k (target components)", min_value=1, step=1, key="rank")
    st.number_input("model rank k̃ (0: same as k)", min_value=0, step=1, key="model_rank")
    st.number_input("N (vector length)", min_value=1, step=1, key="N")
    st.selectbox("target kind", config.TARGETS, key="target")
    st.text_input("weights s_l (comma-separated; empty: all 1)", key="weights")
    st.selectbox("init kind", config.INITS, key="init")
    st.number_input("init σ", min_value=0.0, step=0.001, format="%.4g", key="init_std")
    st.selectbox("optimizer", config.OPTIMIZERS, key="optimizer")
    st.number_input("learning rate η", min_value=0.0, step=0.01, format="%.4g", key="lr")
    st.number_input("steps", min_value=1, step=100, key="steps")
    st.number_input("seed", min_value=0, step=1, key="seed")


def _weights(text: str):
    """Comma-separated numbers; anything else is passed on as text so the config check names the key."""
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        return [float(p) for p in parts]
    except ValueError:
        return text


ss = st.session_state
settings = {**ss.get("extra", {}), **{k: ss[k] for k in core.CONTROLS if k not in ("model_rank", "weights")},
            "seeds": 1, "model_rank": ss["model_rank"] or None, "weights": _weights(ss["weights"])}
settings = {k: v for k, v in settings.items() if v is not None}

with st.sidebar:  # before training, so the exported file follows a change at once
    st.subheader("These settings as a config file")
    toml = core.to_toml(settings)
    st.code(toml, language="toml")
    st.download_button("download explore.toml", toml, file_name="explore.toml", mime="application/toml")
    st.caption("Train it with `python -m reproduce train explore.toml`.")


@st.cache_resource(show_spinner=False)  # data/bump.toml, read once per server
def _rules():
    return bumps.load_rules()


@st.cache_resource(max_entries=32, show_spinner=False)  # shared, not copied: results are read-only
def _compute(key: str, _settings: dict, _progress=None):
    return core.compute(_settings, _rules(), progress=_progress)


ss["run_start"] = time.perf_counter()
long_run = settings["steps"] > LONG_RUN_STEPS
bar = st.progress(0.0, text=f"training {settings['steps']} steps …") if long_run else None
try:
    ex = _compute(repr(sorted(settings.items())), settings,
                  (lambda t, total: bar.progress(t / total, text=f"training: step {t} of {total}"))
                  if bar else None)
except (ConfigError, TrainingDiverged) as err:  # the command line prints the same line
    ex = None
    st.error(f"error: {err}", icon="⚠️")
if bar:
    bar.empty()


@st.fragment  # a change of these views' own controls reruns only them: no retraining, no sidebar
def views(ex):
    ss["fragment_start"] = time.perf_counter()
    c1, c2 = st.columns([1, 1])
    with c1:
        logx = st.checkbox("log step axis", value=False, key="logx")
    with c2:
        logy = st.checkbox("log loss axis", value=True, key="logy")
    left, right = st.columns([1, 1])
    with left:
        charts.show(plots.loss_figure(ex, logx, logy), "loss_plot")
    with right:
        charts.show(plots.strength_figure(ex, logx), "strength_plot")
    factor = st.selectbox("factor", range(ex.cfg.order), format_func=lambda f: f"factor {f + 1}",
                          key="factor") if ex.cfg.order > 1 else 0
    c1, c2 = st.columns([1, 1])
    with c1:
        basis = st.radio("basis of the inner-product view", ("targets", "modes"), horizontal=True,
                         key="basis", help="targets: ⟨ã_m, a_l⟩; modes: ⟨ã_m, u_j⟩ (singular vectors of T)")
    with c2:
        model = st.checkbox("balanced-mode model's prediction (dashed)", value=False, key="model")
    notes = {}  # note -> what it turns off; the choices stay, for when the settings allow them again
    if basis == "modes" and ex.model.modes_note:
        notes.setdefault(ex.model.modes_note, []).append("the view below stays in the target basis")
    if model and ex.model.model_note:
        notes.setdefault(ex.model.model_note, []).append("no predicted curves are drawn")
    for note, off in notes.items():
        st.info(f"{note} So {' and '.join(off)}.")
    basis = "mode" if basis == "modes" and not ex.model.modes_note else "target"
    model = model and not ex.model.model_note
    charts.show(plots.inner_figure(ex, factor, logx, basis, model), "inner_plot")
    st.caption(f"✕ marks a bump: {ex.rule.describe()}." + (
        " Modes: the singular vectors u_j (factor 1), v_j (factor 2) of T = U S Vᵀ, from the target Grams "
        "(scurve/modes.py); the same rule marks their bumps." if basis == "mode" else "") + (
        " Dashed: the balanced-mode model (scurve/balanced.py), C ← C + η(S − CCᵀ)C from the run's step-0 "
        "state and its target, nothing fitted. It starts from the init's balanced part (P₀ + Q₀)/2, not the "
        "init itself, so it joins the trained curves only once the plateau has balanced them." if model else ""))
    c1, c2, c3 = st.columns(3)
    with c1:
        target = st.selectbox("target for the two-vector view", range(ex.cfg.rank),
                              format_func=lambda l: f"a{l + 1}", key="pair_target")
    target = min(target, ex.cfg.rank - 1)  # the stored choice may exceed a rank just lowered
    pair = core.pair_for(ex, target, factor)
    names = ["auto"] + list(range(ex.cfg.k_model))
    label = lambda m: m if m == "auto" else f"ã{m + 1}"  # noqa: E731
    for i, col in enumerate((c2, c3)):
        with col:
            choice = st.selectbox(("first" if i == 0 else "second") + " learned vector", names,
                                  format_func=label, key=f"pair_{i}")
        if choice != "auto" and choice < ex.cfg.k_model:
            pair = pair[:i] + [choice] + pair[i + 1:]
    charts.show(plots.pair_figure(ex, target, pair, factor, logx, model), "pair_plot")
    st.caption("auto: the pair of the thread's plot where this target has one (scurve.measure.thread_pair, "
               "figT1's rule: both start nearest the target, the first has a bump and turns away, the second "
               "catches up); else the two that start nearest it. Right: the first against every target.")
    began = ss["run_start"] if ss.get("full_run") else ss["fragment_start"]
    st.caption(f"trained in {ex.train_seconds * 1000:.0f} ms, analysed in {ex.analysis_seconds * 1000:.0f} "
               f"ms; page built in {(time.perf_counter() - began) * 1000:.0f} ms")


st.title("Multi-component learning: S-curve explorer")
if ex is not None:
    ss["full_run"] = True
    views(ex)
    ss["full_run"] = False
