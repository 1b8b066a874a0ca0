"""The balanced-mode model (scurve/balanced.py), its scores (scurve/scoring.py) and the predicates of
figT6/figT7, each on made inputs built to pass and to fail."""
import numpy as np
import pandas as pd
import pytest
import torch

from reproduce.core import bumps
from reproduce.core.results import Run
from reproduce.figures import figT6_bump_model as T6
from reproduce.figures import figT7_competition as T7
from reproduce.scurve import balanced, modes, model, scoring, train
from helpers import tiny

RULE = bumps.load_rules().inner_product


def _balanced_run(cfg, seed=0, frozen=None):
    """A run whose init is exactly balanced and inside the target span: Ã_0 = U C_0, B̃_0 = V C_0. There
    the model's two approximations vanish, so GD must follow C ← C + η(S − CCᵀ)C to round-off."""
    targets, _ = model.sample(cfg, seed)
    A, B = (t.numpy() for t in targets)
    w = model.component_weights(cfg).numpy()
    m = modes.basis(np.stack([A.T @ A, B.T @ B])[None], w)
    C0 = np.random.default_rng(seed).normal(size=(cfg.rank, cfg.k_model)) * cfg.init_std
    learned = [torch.tensor(A @ m.to_mode[0, 0] @ C0), torch.tensor(B @ m.to_mode[0, 1] @ C0)]
    got = train.train_batch(cfg, [t[None] for t in targets], [x[None] for x in learned],
                            model.component_weights(cfg))
    data = dict(step=got["step"], seed=np.array([seed]), overlap=got["overlap"], weights=w,
                target_gram=np.stack([A.T @ A, B.T @ B])[None], loss=got["loss"], norm=got["norm"])
    return Run(cfg, data)


@pytest.mark.parametrize("target, ratio, km", [("unit", 1.0, 3), ("orthonormal", 0.9, 2), ("unit", 0.5, 4)])
def test_from_a_balanced_in_span_init_the_model_is_gradient_descent(target, ratio, km):
    cfg = tiny(rank=3, model_rank=km, N=20, steps=400, record_points=80, init_std=0.05, target=target,
               weight_ratio=ratio, seeds=1)
    run = _balanced_run(cfg)
    pred = balanced.predict(run)
    np.testing.assert_allclose(pred.overlap, run.overlap, atol=1e-12)


def test_equal_weights_follow_the_polar_closed_form():
    """S = sI: C(t) = e^{st} C_0 K^{-1/2} exactly in continuous time; the discrete model approaches it as
    η → 0 (η = 1e-3 here, 20 000 steps = t 20), and ends at √s·polar(C_0)."""
    rng = np.random.default_rng(1)
    C0, s, lr = rng.normal(size=(1, 4, 3)) * 0.02, np.full((1, 4), 1.0), 1e-3
    grid = np.array([0, 5000, 10000, 20000])
    C = balanced.iterate(C0, s, lr, 20000, grid)[0]
    for t, c in zip(grid * lr, C):
        K = np.eye(3) + np.expm1(2 * t) * C0[0].T @ C0[0]
        w, V = np.linalg.eigh(K)
        exact = np.exp(t) * C0[0] @ V @ np.diag(w ** -0.5) @ V.T
        np.testing.assert_allclose(c, exact, atol=2e-3 * max(1, np.abs(exact).max()))
    u, _, vt = np.linalg.svd(C0[0], full_matrices=False)
    np.testing.assert_allclose(C[-1], u @ vt, atol=1e-6)


def test_a_lone_pair_at_equal_weights_never_falls_in_the_model():
    """The theorem behind I_equal_removed: with S = sI and no other pair, c ← c + η(s − ‖c‖²)c only
    rescales c, so no coefficient can rise and fall."""
    rng = np.random.default_rng(2)
    C = rng.normal(size=(50, 4, 3)) * 0.3
    curves = balanced.continue_lone(C, np.ones((50, 4)), np.zeros(50, int), np.zeros(50, int),
                                    np.eye(4)[rng.integers(0, 4, 50)], 0.1, 300, np.arange(0, 301, 3),
                                    np.zeros(50, bool))
    assert not bumps.bump_peaks(curves[:, 1:], RULE)[0].any()
    # made to fail: a lone pair at unequal weights does turn away from its weaker modes
    c = np.zeros((1, 4, 1))
    c[0, :, 0] = [0.01, 0.02, 0, 0]
    curve = balanced.continue_lone(c, np.array([[1.0, 0.8, 0.5, 0.2]]), np.zeros(1, int), np.zeros(1, int),
                                   np.array([[0.0, 1.0, 0, 0]]), 0.1, 600, np.arange(601), np.zeros(1, bool))
    assert bumps.bump_peaks(curve[:, 1:], RULE)[0][0]


def test_the_lone_pair_model_is_the_masked_model():
    """continue_lone with the others frozen equals iterating all columns with only column m updated."""
    rng = np.random.default_rng(4)
    C, s = rng.normal(size=(3, 4, 3)) * 0.2, np.abs(rng.normal(size=(3, 4))) + 0.2
    read = rng.normal(size=(3, 4))
    got = balanced.continue_lone(C, s, np.zeros(3, int), np.array([0, 1, 2]), read, 0.1, 50, np.arange(51),
                                 np.ones(3, bool))
    for r, m in enumerate((0, 1, 2)):
        c = C[r].copy()
        for t in range(1, 51):
            c[:, m] += 0.1 * (s[r] * c[:, m] - (c @ c.T) @ c[:, m])
            assert got[r, t] == pytest.approx(abs(read[r] @ c[:, m]), abs=1e-13)


def test_the_rule_margin_is_at_least_one_exactly_when_the_rule_finds_a_bump():
    rng = np.random.default_rng(5)
    t = np.arange(120.0)
    curves = np.abs(rng.normal(size=(400, 1)) * np.exp(-((t - rng.uniform(5, 100, (400, 1))) / 15) ** 2)
                    + rng.uniform(0, 0.5, (400, 1)) * (t > 60) + rng.uniform(1e-3, 0.05, (400, 1)))
    is_bump, _, _, score = scoring.margin(curves, RULE)
    assert is_bump.any() and not is_bump.all()
    np.testing.assert_array_equal(is_bump, score >= 1)


def _brute_auc(x, y, w):
    pos, neg = np.nonzero(y)[0], np.nonzero(~y)[0]
    num = sum(w[i] * w[j] * ((x[i] > x[j]) + 0.5 * (x[i] == x[j])) for i in pos for j in neg)
    return num / (w[pos].sum() * w[neg].sum())


def test_the_auc_statistic_is_the_weighted_auc_with_ties():
    rng = np.random.default_rng(6)
    x, y, u = np.round(rng.normal(size=60), 1), rng.random(60) < 0.3, rng.integers(0, 5, 60)
    W = rng.integers(0, 3, size=(4, 5)).astype(float)
    W[:, 0] += 1
    got = scoring.auc_stat(x, y, u, 5)(W)
    for row, g in zip(W, got):
        assert g == pytest.approx(_brute_auc(x, y, row[u]))


def test_the_median_statistic_is_the_weighted_median():
    rng = np.random.default_rng(7)
    v, u = rng.random(40), rng.integers(0, 6, 40)
    W = rng.integers(0, 3, size=(5, 6)).astype(float)
    for row, g in zip(W, scoring.median_stat(v, u, 6)(W)):
        rep = np.repeat(v, row[u].astype(int))
        assert g == (np.sort(rep)[(len(rep) - 1) // 2] if len(rep) else g)


def _made_scores(pred_fn):
    """Trained curves of 32 seeds (bumps and non-bumps) and a 'prediction' derived from them."""
    rng = np.random.default_rng(8)
    t = np.arange(100.0)
    peak = rng.uniform(20, 60, (32, 8, 1))
    bump = rng.random((32, 8, 1)) < 0.4
    actual = 0.01 + 0.5 * np.exp(-((t - peak) / 10) ** 2) * bump + 0.4 * (1 - bump) / (1 + np.exp(-(t - peak) / 5))
    table = scoring.rule_table(actual, pred_fn(actual, rng), t, RULE, np.arange(32)[:, None])
    return scoring.score_table(table, 32)


def _verdict_of(got):
    row = pd.Series({k: v for name in T6.METRICS for k, v in
                     zip((name, f"{name}_lo", f"{name}_hi"), got[name])})
    return T6._score_verdict(row)


def test_a_cell_score_passes_for_a_faithful_prediction_and_fails_for_a_shuffled_one():
    assert _verdict_of(_made_scores(lambda a, rng: a * 1.001)) == "PASS"
    assert _verdict_of(_made_scores(lambda a, rng: a[rng.permutation(32)][:, rng.permutation(8)])) == "FAIL"


def test_an_equivalence_row_passes_fails_or_stays_undetermined():
    def row(diff_lo, diff_hi, bumps=40):
        return pd.Series(dict(model_rank=4, geometry="unit", weight_ratio=1.0, init="gaussian", cell="c",
                              bumps=bumps, model_bumps=bumps, frozen=0.5, frozen_lo=0.4, frozen_hi=0.6,
                              model_frozen=0.5, frozen_diff=(diff_lo + diff_hi) / 2, frozen_diff_lo=diff_lo,
                              frozen_diff_hi=diff_hi))
    res = type("Results", (), {"stem": "figT7_competition"})()
    verdict = lambda r: T7._share_claim(res, r, "frozen")["verdict"]  # noqa: E731
    assert verdict(row(-0.05, 0.04)) == "PASS"
    assert verdict(row(0.12, 0.30)) == "FAIL"
    assert verdict(row(-0.05, 0.15)) == "UNDETERMINED"
    assert verdict(row(-0.01, 0.01, bumps=3)) == "UNDETERMINED"


def test_for_one_run_the_explorer_gets_curves_in_both_bases():
    """What the explorer draws beside a trained seed: predicted overlaps in the target and the mode basis,
    shaped like the run's own (`overlap`, `mode_overlap`), also for a run trained without record_modes."""
    cfg = tiny(rank=3, model_rank=2, N=20, steps=200, record_points=50, seeds=1, init_std=0.01)
    (raw,) = train.train_config(cfg)
    run = Run(cfg, raw)
    pred = balanced.predict(run)
    _, mode_ov = balanced.run_modes(run)
    assert pred.overlap.shape == pred.mode_overlap.shape == mode_ov.shape == run.overlap.shape
    np.testing.assert_allclose(pred.overlap, run.overlap, atol=0.05)  # small init: close to GD throughout
