"""The explorer's mode basis and the balanced-mode model's curves: the tables come from scurve/modes.py and
scurve/balanced.py unchanged, the views draw them, and settings outside the model's scope give its note."""
import numpy as np
import pytest

from reproduce.core import bumps
from reproduce.explore import core, plots
from reproduce.scurve import balanced, modes

RULES = bumps.load_rules()
SMALL = dict(core.DEFAULTS, rank=3, model_rank=4, N=20, steps=300)
COLUMNS = ["factor", "learned", "mode", "step", "inner_product"]


@pytest.fixture(scope="module")
def ex():
    return core.compute(SMALL, RULES)


def _by_curve(curves):
    """(steps, n, k̃, k) as the long tables order their rows: factor, learned, target or mode, then step."""
    return np.moveaxis(curves, 0, -1).ravel()


def test_tables_have_one_row_per_curve_and_step(ex):
    mv, rows = ex.model, 2 * 4 * 3 * len(ex.run.step)
    assert list(mv.modes.columns) == list(mv.predicted_modes.columns) == COLUMNS
    assert list(mv.predicted.columns) == list(ex.inner.columns)
    assert len(mv.modes) == len(mv.predicted) == len(mv.predicted_modes) == len(ex.inner) == rows
    assert (mv.predicted.step.to_numpy() == ex.inner.step.to_numpy()).all()
    assert mv.singular_values.shape == (3,) and (np.diff(mv.singular_values) <= 0).all()
    assert mv.modes_note == mv.model_note == ""


def test_the_default_views_never_compute_the_model():
    """The latency budget (make bench): a new seed's page with the model off pays nothing for it."""
    ex = core.compute(SMALL, RULES)
    plots.inner_figure(ex, 0, logx=False)
    plots.pair_figure(ex, 0, core.pair_for(ex, 0), 0, logx=False)
    assert "model" not in vars(ex)


def test_mode_overlaps_are_the_target_overlaps_mapped_by_to_mode(ex):
    basis = modes.basis(ex.run.target_gram, ex.run.weights)
    mapped = np.abs(ex.run.overlap @ basis.to_mode[:, None])[0]  # ⟨x, u_j⟩ = Σ_l ⟨x, a_l⟩ to_mode[l, j]
    np.testing.assert_allclose(ex.model.modes.inner_product, _by_curve(mapped), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ex.model.singular_values, basis.s[0])


def test_predicted_curves_are_the_packages_model(ex):
    p = balanced.predict(ex.run)
    mv = ex.model
    np.testing.assert_array_equal(mv.predicted.inner_product, _by_curve(np.abs(p.overlap[0])))
    np.testing.assert_array_equal(mv.predicted_modes.inner_product, _by_curve(np.abs(p.mode_overlap[0])))


def test_predicted_curves_start_from_the_runs_balanced_part(ex):
    """At step 0 the model is the init's balanced part C_0 = (P_0 + Q_0)/2 (scurve/balanced.py), the same in
    both factors; it equals the trained curves where the init is balanced (P_0 = Q_0)."""
    _, mode_ov = balanced.run_modes(ex.run)
    P0, Q0 = mode_ov[0, 0, 0], mode_ov[0, 0, 1]  # (k̃, k)
    pred = ex.model.predicted_modes
    first = pred[pred.step == 0]
    for f in range(2):
        got = first[first.factor == f].inner_product.to_numpy().reshape(4, 3)
        np.testing.assert_allclose(got, np.abs(P0 + Q0) / 2, rtol=1e-12)
    zero = core.compute(dict(SMALL, init="zeros", steps=20), RULES)  # balanced: both factors start at 0
    mv = zero.model
    for table, trained in ((mv.predicted, zero.inner), (mv.predicted_modes, mv.modes)):
        np.testing.assert_array_equal(table[table.step == 0].inner_product, trained[trained.step == 0].inner_product)


def test_mode_bumps_follow_the_one_rule(ex):
    curves = np.moveaxis(ex.curves("mode"), 0, -1)  # (n, k̃, k, steps)
    is_bump, _, peak, _ = bumps.bump_peaks(curves, RULES.inner_product)
    assert len(ex.model.mode_bumps) == is_bump.sum()
    np.testing.assert_allclose(np.sort(ex.model.mode_bumps.peak), np.sort(peak[is_bump]))


@pytest.mark.parametrize("settings, in_note, has_modes", [
    (dict(order=3), "order-2 targets; this run has order 3", False),
    (dict(order=1), "this run has order 1", False),
    (dict(optimizer="adam", lr=0.01), "plain gradient descent", True),
    (dict(target="ones", lr=0.001), "linearly dependent", False),
])
def test_settings_outside_the_model_give_its_note_not_an_exception(settings, in_note, has_modes):
    ex = core.compute(dict(SMALL, steps=50, **settings), RULES)
    mv = ex.model
    assert in_note in mv.model_note and mv.predicted is None and mv.predicted_modes is None
    assert (mv.modes is not None) == has_modes and (mv.modes_note == "") == has_modes
    if not has_modes:
        assert in_note in mv.modes_note and mv.mode_bumps is None and mv.singular_values is None
    for factor in range(ex.cfg.order):  # the target-basis views draw as before
        plots.inner_figure(ex, factor, logx=True)
        plots.pair_figure(ex, 0, core.pair_for(ex, 0, factor), factor, logx=True)
    if has_modes:
        plots.inner_figure(ex, 0, logx=False, basis="mode")


@pytest.mark.parametrize("basis", ["target", "mode"])
def test_the_view_draws_each_prediction_dashed_in_its_vectors_colour(ex, basis):
    fig = plots.inner_figure(ex, 1, logx=False, basis=basis, model=True)
    simulated, predicted = ex.curves(basis)[:, 1], ex.curves(basis, predicted=True)[:, 1]
    for l, p in enumerate(fig["panels"]):
        solid, dashed = p["series"][:4], p["series"][4:]
        assert len(dashed) == 4 and not any(s["dash"] for s in solid) and all(s["dash"] for s in dashed)
        for m, (s, d) in enumerate(zip(solid, dashed)):
            assert d["color"] == s["color"] == plots.learned_colour(ex, m) and d["group"] == s["name"]
            np.testing.assert_allclose(plots.decode(s["y"]), simulated[:, m, l], rtol=1e-6)
            np.testing.assert_allclose(plots.decode(d["y"]), predicted[:, m, l], rtol=1e-6)
    names = [e["name"] for e in fig["legend"]]
    assert names == [f"ã{m + 1}" for m in range(4)] + ["solid: simulated (trained)",
                                                         "dashed: predicted (balanced-mode model)", "bump"]
    if basis == "mode":
        assert fig["panels"][0]["title"].startswith("mode v1 (s1 = ") and "3 modes" in fig["title"]
        marks = sum(len(plots.decode(p["marks"]["x"])) for p in fig["panels"])
        assert marks == (ex.model.mode_bumps.factor == 1).sum()
    off = plots.inner_figure(ex, 1, logx=False, basis=basis)
    assert [len(p["series"]) for p in off["panels"]] == [4] * 3 and "simulated" not in str(off["legend"])


def test_app_shows_the_note_instead_of_the_mode_view_and_the_model_at_order_3():
    from streamlit.testing.v1 import AppTest
    from reproduce.core import paths
    at = AppTest.from_file(str(paths.ROOT / "reproduce" / "explore" / "app.py"), default_timeout=120).run()
    at.radio(key="basis").set_value("modes").run()
    at.checkbox(key="model").check().run()
    assert not at.exception and not at.error and not at.info
    at.number_input(key="order").set_value(3).run()
    assert not at.exception and not at.error
    (note,) = [i.value for i in at.info]  # one note for both choices: the same reason turns both off
    assert "this run has order 3" in note and "stays in the target basis and no predicted curves" in note
    at.radio(key="basis").set_value("targets").run()
    assert [i.value for i in at.info] == [note.replace("the view below stays in the target basis and ", "")]
    at.number_input(key="order").set_value(2).run()  # the choices come back with an order-2 run
    assert not at.exception and not at.info
