"""The grokking family: the `=`-only forward, the float64 loss, the Fourier measures, configs, a smoke run."""
import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from reproduce.core import config, paths, results
from reproduce.grokking import fourier
from reproduce.grokking import model as gmodel
from reproduce.grokking import train as grokking
from reproduce.grokking.config import GrokConfig

SMOKE = paths.TEST_CONFIGS / "grok_smoke.toml"


def smoke(**changes) -> GrokConfig:
    return dataclasses.replace(config.load(SMOKE), **changes)


def tokens(a, b, p):
    return torch.stack([a, b, torch.full_like(a, p)], dim=1)


@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
def test_logits_at_eq_equal_full_forward(dtype, rtol):
    """forward (queries, MLP, unembedding at `=` only) equals position 2 of the plain 3-position pass."""
    cfg = smoke(d_model=24, n_heads=3, d_head=8, d_mlp=40)
    model, a, b, labels, train = gmodel.model_and_data(cfg)
    model = model.to(dtype)
    with torch.no_grad():   # random weights are too tame: scale up so attention is far from uniform
        for w in (model.W_Q, model.W_K, model.W_E):
            w.mul_(3)
        fast = model(a, b)
        full = model.full_forward(tokens(a, b, cfg.p))[:, 2]
    scale = full.abs().max()
    torch.testing.assert_close(fast, full, rtol=rtol, atol=rtol * scale)


def test_gradients_equal_full_forward():
    """The shortcut is exact for training too: same gradient for every weight (float64)."""
    cfg = smoke(d_model=16, n_heads=2, d_head=8, d_mlp=24)
    model, a, b, labels, _ = gmodel.model_and_data(cfg)
    model = model.double()
    grads = []
    for logits in (lambda: model(a, b), lambda: model.full_forward(tokens(a, b, cfg.p))[:, 2]):
        model.zero_grad()
        fourier.cross_entropy(logits(), labels).backward()
        grads.append([w.grad.clone() for w in model.parameters()])
    for g_fast, g_full in zip(*grads):
        torch.testing.assert_close(g_fast, g_full, rtol=1e-10, atol=1e-13)


def test_parameter_count_matches_paper():
    model, *_ = gmodel.model_and_data(GrokConfig(epochs=1))
    assert 225_000 < sum(w.numel() for w in model.parameters()) < 228_000   # "about 226 k" (Nanda et al.)


def test_loss_is_float64_and_survives_confident_logits():
    """A float32 cross-entropy rounds a confident prediction's loss to exactly 0 (the slingshot cause)."""
    logits = torch.tensor([[30.0, 0.0, 0.0]], dtype=torch.float32)
    labels = torch.tensor([0])
    assert torch.nn.functional.cross_entropy(logits, labels).item() == 0.0
    loss = fourier.cross_entropy(logits, labels)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(2 * math.exp(-30), rel=1e-6)


def test_fourier_basis_is_orthonormal():
    F = fourier.basis(13)
    torch.testing.assert_close(F @ F.T, torch.eye(13, dtype=torch.float64), rtol=0, atol=1e-12)


def test_neuron_frequency_and_progress_measures_on_known_signals():
    p, k = 13, 4
    w = 2 * math.pi * k / p
    a = torch.arange(p, dtype=torch.float64)
    acts = torch.relu(torch.cos(w * a)[:, None] + torch.cos(w * a)[None, :])[..., None]   # one neuron
    best, frac = fourier.neuron_freqs(acts)
    assert best[0] == k and frac[0] > 0.9
    # logits that are pure frequency k in a + b − c: the restricted loss is the full loss,
    # and removing frequency k leaves a constant, i.e. the uniform loss ln p
    c = torch.arange(p, dtype=torch.float64)
    logits = 5 * torch.cos(w * (a[:, None, None] + a[None, :, None] - c)).reshape(p * p, p)
    labels = (torch.arange(p).repeat_interleave(p) + torch.arange(p).repeat(p)) % p
    train = torch.rand(p * p, generator=torch.Generator().manual_seed(0)) < 0.3
    dirs = fourier.sum_directions(p, range(1, (p - 1) // 2 + 1))
    coef = fourier.coefficients(logits, dirs)
    out = fourier.set_losses(logits[train], labels, train, coef, logits.mean(dim=0), [k], dirs)
    assert out["restricted_loss"].item() == pytest.approx(fourier.cross_entropy(logits, labels).item(), rel=1e-10)
    assert out["excluded_loss"].item() == pytest.approx(math.log(p), rel=1e-10)
    each = fourier.excluded_losses(logits[train], labels[train], dirs[:, train], coef)
    assert each[k - 1].item() == pytest.approx(math.log(p), rel=1e-10)
    others = np.delete(each.numpy(), k - 1)   # removing any other frequency leaves the logits as they were
    np.testing.assert_allclose(others, fourier.cross_entropy(logits[train], labels[train]).item(), rtol=1e-10)


def test_smoke_config_trains_and_records_every_metric(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reproduce", "train", str(SMOKE), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 0, proc.stderr
    res = results.load("grok_smoke", tmp_path)
    cfg, run = res.cfg, res.runs[0]
    assert isinstance(cfg, GrokConfig)
    E, K = len(grokking.eval_epochs(cfg)), (cfg.p - 1) // 2
    np.testing.assert_array_equal(run.epoch, grokking.eval_epochs(cfg))
    assert run.epoch[0] == 0 and run.epoch[-1] == cfg.epochs and np.all(np.diff(run.epoch) > 0)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm", "restricted_loss",
                "excluded_loss"):
        assert run.data[key].shape == (E,) and run.data[key].dtype == np.float64, key
        assert np.all(np.isfinite(run.data[key])), key
    assert run.freq_norm.shape == (E, K) and np.all(run.freq_norm > 0)
    np.testing.assert_array_equal(run.freq, np.arange(1, K + 1))
    assert run.excluded_loss_freq.shape == (E, K)
    assert np.all((run.key_freqs >= 1) & (run.key_freqs <= K))
    assert np.all((run.final_key_freqs >= 1) & (run.final_key_freqs <= K))
    assert run.neuron_freq.shape == run.neuron_frac.shape == (cfg.d_mlp,)
    assert run.train_mask.sum() == round(cfg.frac_train * cfg.p ** 2)
    assert np.all((run.train_acc >= 0) & (run.train_acc <= 1) & (run.test_acc >= 0) & (run.test_acc <= 1))
    assert abs(run.train_loss[0] - math.log(cfg.p)) < 0.5 and run.train_loss[-1] < run.train_loss[0]
    assert np.all(run.weight_norm > 0)


def test_training_is_deterministic():
    """Same config, same thread count: bit-identical curves (the regression tolerances rely on it)."""
    cfg = smoke(epochs=40, eval_every=20)
    torch.set_num_threads(grokking.THREADS)
    first, second = grokking.train_config(cfg)[0], grokking.train_config(cfg)[0]
    for key in set(first) - {"checkpoints"}:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    for name, ckpt in first["checkpoints"].items():
        for w, value in ckpt["state_dict"].items():
            assert torch.equal(value, second["checkpoints"][name]["state_dict"][w]), (name, w)


BAD = {
    # name: (changed line, key named in the message, text the message must contain)
    "unknown_key": ("epoks = 10", "epoks", "did you mean 'epochs'"),
    "wrong_type": ('p = "113"', "p", "expected int"),
    "not_prime": ("p = 51", "p", "odd prime"),
    "frac_too_big": ("frac_train = 1.5", "frac_train", "between 0 and 1"),
    "zero_epochs": ("epochs = 0", "epochs", "> 0"),
    "negative_wd": ("weight_decay = -1.0", "weight_decay", ">= 0"),
    "bad_beta": ("beta2 = 1.0", "beta2", "[0, 1)"),
    "bad_device": ('device = "tpu"', "device", "one of cpu, cuda"),
    "sweep": ("[sweep]\nd_mlp = [64, 128]", "sweep", "sweeps `seed` and `lr` only"),
    "min_votes": ("min_votes = 0", "min_votes", "> 0"),
    "sweep_seed": ("[sweep]\nseed = [0, -1]", "sweep.seed", ">= 0"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_grokking_config_names_the_key(case, tmp_path):
    line, key, expected = BAD[case]
    name = line.split(" ")[0]
    text = "\n".join(l for l in SMOKE.read_text().splitlines() if not l.startswith(f"{name} ="))
    path = tmp_path / f"{case}.toml"
    path.write_text(text + "\n" + line + "\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert f"key '{key}'" in str(err.value) and expected in str(err.value) and str(path) in str(err.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_run_matches_cpu():
    """device = "cuda" trains; same init and split, so the start agrees and the curves stay close early."""
    cfg = smoke(epochs=30, eval_every=10, log_points=0)
    cpu = grokking.train_config(cfg)[0]
    gpu = grokking.train_config(dataclasses.replace(cfg, device="cuda"))[0]
    np.testing.assert_array_equal(cpu["train_mask"], gpu["train_mask"])
    np.testing.assert_allclose(gpu["train_loss"], cpu["train_loss"], rtol=1e-3)
    np.testing.assert_allclose(gpu["weight_norm"], cpu["weight_norm"], rtol=1e-4)
    assert gpu["freq_norm"].shape == cpu["freq_norm"].shape


def test_seeds_in_parallel_equal_seeds_in_turn():
    """train_config trains a seed sweep in parallel processes; each seed's numbers are those of a lone run."""
    cfg = smoke(epochs=20, eval_every=10, log_points=0, sweep={"seed": [0, 1]})
    together = grokking.train_config(cfg)
    assert len(together) == 2
    for run_cfg, run in zip(cfg.runs(), together):
        alone = grokking.train_seed(run_cfg)
        for key in set(alone) - {"checkpoints"}:
            np.testing.assert_array_equal(run[key], alone[key], err_msg=f"seed {run_cfg.seed} {key}")
    # the split follows the seed
    assert not np.array_equal(together[0]["train_mask"], together[1]["train_mask"])


def test_one_seed_is_one_override():
    """A CI pass trains one seed of the study config: `--set sweep.seed=[0]` is a single override."""
    cfg = config.load(paths.CONFIGS / "figG_grokking.toml")
    assert len(cfg.runs()) >= 4 and len({r.seed for r in cfg.runs()}) == len(cfg.runs())
    one = dataclasses.replace(cfg, sweep={"seed": [0]})
    assert [r.seed for r in one.runs()] == [0]


FIG_G = ("figG1_grokking", "figG2_progress_measures", "figG3_frequency_competition")


def test_same_lr_time_scales_each_runs_epochs_and_evals():
    """figG_lr: every lr of the sweep trains the same lr·epoch time on the same lr·epoch grid."""
    cfg = config.load(paths.CONFIGS / "figG_lr.toml")
    runs = cfg.runs()
    assert {r.lr for r in runs} == {1e-3, 3e-3} and len({r.seed for r in runs}) >= 2
    times = {(r.epochs * r.lr, r.eval_every * r.lr) for r in runs}
    assert len(times) == 1 and all(r.epochs % r.eval_every == 0 for r in runs)
    plain = dataclasses.replace(cfg, same_lr_time=False)
    assert {r.epochs for r in plain.runs()} == {cfg.epochs}


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory):
    """Two short smoke seeds (too short to grok) as results: every figure must cope with NaN phases too."""
    cfg = smoke(epochs=60, eval_every=20, log_points=4, sweep={"seed": [0, 1]})
    out = tmp_path_factory.mktemp("grok")
    results.save("figG_grokking", cfg, grokking.train_config(cfg), results.provenance(cfg, 0.0, 1), out)
    return results.load("figG_grokking", out)


@pytest.mark.parametrize("n_seeds", [1, 2])
@pytest.mark.parametrize("stem", FIG_G)
def test_grokking_figures_draw_any_subset_of_seeds(stem, n_seeds, smoke_results, tmp_path):
    from reproduce import figures
    from reproduce.core.bumps import load_rules
    from reproduce.figures.common import save
    mod = figures.module(stem)
    res = results.Results(smoke_results.stem, smoke_results.cfg, smoke_results.runs[:n_seeds],
                          smoke_results.meta)
    rules = load_rules()
    data, reg = mod.figure_data(res, rules), mod.regression_data(res, rules)
    assert sorted(data.seed.unique()) == [r.cfg.seed for r in res.runs]
    assert sorted(reg.seed) == sorted(data.seed.unique())     # one stable row per seed
    assert all(c["verdict"] in ("PASS", "FAIL", "UNDETERMINED") for c in mod.claims(res, rules))
    assert save(mod.plot(res, data), mod.caption(res, rules), tmp_path / f"{stem}.png").exists()


def test_bench_timing_paths_train_the_same_model(monkeypatch):
    """make bench's grokking table times the reference pass and the package's pass on the same run:
    their per-epoch losses agree to float32 round-off, and a changed run would not."""
    from reproduce.grokking import bench as bench_grokking
    monkeypatch.setattr(bench_grokking, "EPOCHS", 5)
    monkeypatch.setattr(bench_grokking, "REPEATS", 1)
    cfg = smoke()
    _, ref = bench_grokking.time_path(cfg, "reference")
    _, fast = bench_grokking.time_path(cfg, "package")
    _, other = bench_grokking.time_path(dataclasses.replace(cfg, lr=2 * cfg.lr), "package")
    n = bench_grokking.AGREE_EPOCHS
    assert np.max(np.abs(fast[:n] / ref[:n] - 1)) <= bench_grokking.AGREE_RTOL
    assert np.max(np.abs(other[:n] / ref[:n] - 1)) > bench_grokking.AGREE_RTOL


def test_lr_comparison_figure_draws_from_a_smoke_sweep(tmp_path):
    """figG4 (make grokking-lr) on two smoke seeds at two learning rates, same lr·epoch time."""
    from reproduce import figures
    from reproduce.core.bumps import load_rules
    from reproduce.figures.common import save
    cfg = smoke(epochs=90, eval_every=30, log_points=4, lr=1e-3, same_lr_time=True,
                sweep={"lr": [1e-3, 3e-3], "seed": [0, 1]})
    results.save("figG_lr", cfg, grokking.train_config(cfg), results.provenance(cfg, 0.0, 1), tmp_path)
    res, mod, rules = results.load("figG_lr", tmp_path), figures.module("figG4_learning_rate"), load_rules()
    assert [(r.cfg.lr, r.cfg.epochs) for r in res.runs] == [(1e-3, 90), (1e-3, 90), (3e-3, 30), (3e-3, 30)]
    data, reg = mod.figure_data(res, rules), mod.regression_data(res, rules)
    assert len(reg) == 4 and set(reg.lr) == {1e-3, 3e-3}
    assert [c["claim_id"] for c in mod.claims(res, rules)] == ["G4_phase_times", "G4_key_counts",
                                                                "G4_excluded_peaks"]
    assert save(mod.plot(res, data), mod.caption(res, rules), tmp_path / "figG4.png").exists()
    assert figures.optional("figG4_learning_rate") == "grokking-lr"
    assert "figG4_learning_rate" in figures.present(tmp_path)
    assert "figG4_learning_rate" not in figures.present(tmp_path / "nowhere")
