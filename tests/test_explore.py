"""The explorer: its compute without a browser, its TOML round trip through the command line, its errors,
and (where Chromium is installed; always in CI) the app in a real headless browser."""
import os
import subprocess
import sys
import tomllib

import numpy as np
import pytest

from reproduce.checks import browser
from reproduce.core import bumps, config, paths
from reproduce.core.errors import ConfigError, TrainingDiverged
from reproduce.scurve import measure, train
from reproduce.explore import core, plots

RULES = bumps.load_rules()  # data/bump.toml, loaded once and passed down

SMALL = dict(core.DEFAULTS, rank=3, N=20, steps=300)


def cli(*args, cwd=paths.ROOT):
    return subprocess.run([sys.executable, "-m", "reproduce", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_compute_gives_every_curve_and_the_package_bumps():
    ex = core.compute(dict(SMALL, model_rank=2), RULES)
    n, km, k = 2, 2, 3
    assert ex.inner.groupby(["factor", "learned", "target"]).ngroups == n * km * k
    assert len(ex.loss) == len(ex.run.step) and ex.loss.loss.iloc[-1] < ex.loss.loss.iloc[0]
    expected = measure.find_bumps(ex.run, RULES.inner_product)
    assert len(ex.bumps) == len(expected)
    assert sorted(ex.strength.target.unique()) == list(range(k))


def test_strengths_reach_the_weights_for_orthonormal_targets():
    ex = core.compute(dict(SMALL, target="orthonormal", weights=[1.0, 0.5, 0.25], steps=3000), RULES)
    final = ex.strength[ex.strength.step == ex.strength.step.max()].sort_values("target")
    assert np.allclose(final.strength, [1.0, 0.5, 0.25], atol=1e-3)


def test_exported_toml_trains_the_same_numbers_with_the_command_line(tmp_path):
    settings = dict(SMALL, seed=5, lr=0.05, init_std=0.02)
    ex = core.compute(settings, RULES)
    (tmp_path / "explore.toml").write_text(ex.toml)
    out = cli("train", str(tmp_path / "explore.toml"), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    with np.load(tmp_path / "explore.npz") as npz:
        assert np.array_equal(npz["r0_loss"][0], ex.loss.loss.to_numpy())
        assert np.array_equal(npz["r0_overlap"], ex.run.overlap)
    assert core.from_toml(ex.toml) == core.settings_of(ex.cfg)


@pytest.mark.parametrize("bad", [dict(rank=0), dict(weights=[1.0]), dict(lr=0.0),
                                 dict(target="orthonormal", N=2), dict(init="nonsense")])
def test_invalid_settings_give_the_command_lines_one_line_error(bad, tmp_path):
    path = tmp_path / "explore.toml"
    settings = dict(SMALL, **bad)
    with pytest.raises(ConfigError) as err:
        core.compute(settings, RULES, where=str(path))
    path.write_text(core.to_toml(settings))
    out = cli("train", str(path), "--out", str(tmp_path))
    assert out.returncode == 2 and out.stderr.strip() == f"error: {err.value}"
    assert not list(tmp_path.glob("*.npz"))


def test_a_diverging_run_names_seed_and_step():
    with pytest.raises(TrainingDiverged, match="lower 'lr'"):
        core.compute(dict(SMALL, lr=50.0), RULES)


@pytest.mark.parametrize("path", core.config_files(), ids=lambda p: p.stem)
def test_every_config_file_loads_or_says_why_not(path):
    cfg = config.load(path)
    if cfg.family != "scurve":
        with pytest.raises(ConfigError, match="S-curve configs only"):
            core.load_file(path)
        return
    labels, members = core.load_file(path)
    assert len(labels) == len(members) == len(cfg.runs())
    first = core.build_config(members[0])
    assert first.seeds == 1 and first.seed == cfg.seed and first.rank == cfg.runs()[0].rank


def test_progress_reports_every_recorded_step():
    seen = []
    core.compute(SMALL, RULES, progress=lambda t, total: seen.append((t, total)))
    assert seen[0] == (0, 300) and seen[-1] == (300, 300)
    assert [t for t, _ in seen] == train.step_grid(300, core.build_config(SMALL).record_points).tolist()


def _views(ex, target=0, factor=0, logx=False):
    pair = core.pair_for(ex, target, factor)
    views = {"loss": plots.loss_figure(ex, logx, True), "strength": plots.strength_figure(ex, logx),
             "inner": plots.inner_figure(ex, factor, logx), "pair": plots.pair_figure(ex, target, pair, factor, logx)}
    if not ex.model.model_note:  # the mode basis and the model's dashed curves
        views.update(inner_modes_model=plots.inner_figure(ex, factor, logx, "mode", model=True),
                     pair_model=plots.pair_figure(ex, target, pair, factor, logx, model=True))
    return views


def test_figures_have_one_curve_per_pair_and_a_marker_per_bump():
    ex = core.compute(dict(core.DEFAULTS, rank=4, N=100, seed=54), RULES)
    fig = plots.inner_figure(ex, 0, logx=False)
    assert [len(p["series"]) for p in fig["panels"]] == [4] * 4
    assert sum(len(plots.decode(p["marks"]["x"])) for p in fig["panels"]) == (ex.bumps.factor == 0).sum()
    assert "4 learned × 4 targets" in fig["title"]
    for l, p in enumerate(fig["panels"]):  # the numbers drawn are the run's, to float32 precision
        for m, s in enumerate(p["series"]):
            np.testing.assert_allclose(plots.decode(s["y"]), np.abs(ex.run.overlap[0, :, 0, m, l]), rtol=1e-6)
    pair = core.pair_for(ex, 3)
    assert len(set(pair)) == 2
    for logx in (False, True):  # every series as long as the step axis; a log axis never shows step 0
        for name, spec in _views(ex, 3, 1, logx).items():
            x = plots.decode(spec["x"])
            assert (x > 0).all() if logx else x[0] == 0, name
            assert all(len(plots.decode(s["y"])) == len(x) for p in spec["panels"] for s in p["series"]), name


@pytest.mark.parametrize("rank,model_rank", [(2, None), (4, None), (8, None), (3, 9), (12, 14)])
def test_every_curve_of_every_view_has_a_colour_of_its_own(rank, model_rank):
    """Within a view, one colour per curve (legend entry), kept in every panel, and by its dashed prediction;
    marks black, weights grey; the two line-style entries (simulated, predicted) are black."""
    settings = dict(core.DEFAULTS, rank=rank, N=30, steps=200) | ({"model_rank": model_rank} if model_rank else {})
    ex = core.compute(settings, RULES)
    for name, spec in _views(ex, target=rank - 1).items():
        legend = {e["name"]: e["color"] for e in spec["legend"] if not e.get("style")}
        assert len(set(legend.values())) == len(legend), (name, legend)
        for p in spec["panels"]:
            for s in p["series"]:
                assert legend[s.get("group", s["name"])] == s["color"], (name, s["name"])
    pair = _views(ex, target=0)["pair"]  # issue 21: ã_m and "ã_m·a_l (this target)" shared a colour
    curves = [s for p in pair["panels"] for s in p["series"]]
    assert len({s["color"] for s in curves}) == len(curves) == 2 + rank
    inner = _views(ex)["inner"]["panels"]  # one learned vector, one colour, in every panel
    assert all([s["color"] for s in p["series"]] == [s["color"] for s in inner[0]["series"]] for p in inner)


def test_the_explorer_reproduces_the_threads_two_vector_plot():
    """figT1's settings and its chosen seed, typed into the explorer, give the same pair and curves."""
    import pandas as pd
    base = pd.read_csv(paths.BASELINES / "figT1_rank4_two_vectors.csv")
    pair = base[base.panel == "pair"]
    seed, target = int(pair.seed.iloc[0]), int(pair.target.iloc[0])
    blue, orange = pair.learned.drop_duplicates().tolist()
    _, members = core.load_file(paths.CONFIGS / "figT1_rank4_two_vectors.toml")
    ex = core.compute(dict(members[0], seed=seed), RULES)
    assert core.pair_for(ex, target) == [blue, orange]
    for m in (blue, orange):
        mine = ex.inner.query("factor == 0 and learned == @m and target == @target").inner_product
        np.testing.assert_allclose(mine, pair[pair.learned == m].inner_product, rtol=1e-9, atol=1e-12)


# --- the app in a real browser -------------------------------------------------------------------------
# Debian's chromium (.ci/run installs it; $CHROMIUM names another), driven by Playwright, never Playwright's
# own browser download: reproduce/checks/browser.py, shared with the browser bench (make bench).
FIGURES = "Array.from(document.querySelectorAll('.explorer-figure'))"
PLOT_TITLES = f"{FIGURES}.map(e => e.dataset.title).join('|')"
INNER_FIGURE = f"{FIGURES}.find(e => e.dataset.title.includes('|inner product|'))"
INNER_LINES = f"+{INNER_FIGURE}.dataset.lines"
# every figure drawn: one canvas per panel, and the chart component said so
DRAWN = (f"{FIGURES}.length === 4 && {FIGURES}.every(e => e.dataset.drawn && "
         "e.querySelectorAll('canvas').length >= e.figure.panels.length)")
TOML_TEXT = ("Array.from(document.querySelectorAll('code')).map(e => e.textContent)"
             ".find(t => t.startsWith('# written by the explorer')) || ''")


def _browser_or_skip():
    missing = browser.missing()
    if missing:
        reason = f"the browser test needs {' and '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run it (.ci/run installs chromium)")
        pytest.skip(reason)


def test_app_in_a_browser_follows_a_rank_change():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright
    errors = []
    with browser.server() as (url, _), sync_playwright() as pw, browser.browser(pw) as (context, _):
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_function(f"({PLOT_TITLES}).includes('2 learned × 2 targets')")
        page.wait_for_function(DRAWN)
        assert page.evaluate(INNER_LINES) == 4
        before = tomllib.loads(page.evaluate(TOML_TEXT))
        assert before["rank"] == 2
        box = page.get_by_label("rank k (target components)", exact=True)
        box.fill("3")
        box.press("Enter")
        page.wait_for_function(f"({PLOT_TITLES}).includes('3 learned × 3 targets')")
        page.wait_for_function(f"({TOML_TEXT}).includes('rank = 3')")
        assert page.evaluate(INNER_LINES) == 9
        page.wait_for_function(DRAWN)
        after = tomllib.loads(page.evaluate(TOML_TEXT))
        page.get_by_text("modes", exact=True).click()  # the basis switch: Streamlit hides the radio input
        page.wait_for_function(f"({PLOT_TITLES}).includes('3 learned × 3 modes')")
        page.get_by_label("balanced-mode model's prediction (dashed)", exact=True).check(force=True)
        page.wait_for_function(f"{INNER_LINES} === 18")  # each curve and its prediction
        legend = page.evaluate(f"{INNER_FIGURE}.figure.legend.map(e => e.name)")
        page.wait_for_function(DRAWN)
    assert not errors, errors
    assert "dashed: predicted (balanced-mode model)" in legend and "solid: simulated (trained)" in legend
    assert after == {**before, "rank": 3}
    assert core.build_config(after).rank == 3  # the exported file is a valid config


# --- the app's script without a browser (Streamlit's AppTest runs it as the server would) ---------------
def _app():
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(str(paths.ROOT / "reproduce" / "explore" / "app.py"), default_timeout=120).run()


def test_app_shows_the_command_lines_error_and_recovers():
    at = _app()
    assert not at.exception and not at.error
    at.text_input(key="weights").set_value("1, 2, 3").run()
    assert [e.value for e in at.error] == ["error: explore.toml: key 'weights': must list one weight per "
                                           "target component (2), got 3"]
    at.text_input(key="weights").set_value("").run()
    at.number_input(key="rank").set_value(4).run()
    at.selectbox(key="pair_target").set_value(3).run()
    at.number_input(key="rank").set_value(2).run()  # the chosen target a4 no longer exists
    assert not at.exception and not at.error


def test_app_loads_a_sweep_member_into_the_controls_and_the_export():
    at = _app()
    at.selectbox(key="load_file").set_value(paths.CONFIGS / "figT2_bump_statistics.toml").run()
    labels = at.selectbox(key="load_member").options
    cfg = config.load(paths.CONFIGS / "figT2_bump_statistics.toml")
    assert len(labels) == len(cfg.runs())
    pick = len(labels) - 1
    at.selectbox(key="load_member").set_value(pick).run()
    at.button[0].click().run()
    member = cfg.runs()[pick]
    exported = tomllib.loads(at.code[0].value)
    assert not at.exception and not at.error
    assert {k: exported[k] for k in ("rank", "init_std", "N", "lr", "steps", "record_points")} == \
        {k: getattr(member, k) for k in ("rank", "init_std", "N", "lr", "steps", "record_points")}
