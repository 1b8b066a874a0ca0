"""The model families: one `Family` entry per family, read by the CLI, the Makefile (through
`python -m reproduce deps`), the tests and the benchmark. Nothing else names a family: a family's code
lives in its own folder (reproduce/<family>/), named here by module path and loaded on use, so importing
this module imports neither torch nor a family's code.

A config file picks its family with `family = "<name>"`; a file without the key is DEFAULT's.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from .errors import ConfigError


@dataclass(frozen=True)
class Family:
    """What a model family provides. A new family adds one entry to FAMILIES and its own files only:

    - `config_class` ("module:Class"): a frozen dataclass whose `__post_init__` raises
      `ValueError("key: what is wrong")`; it has the fields `family`, `device` and `sweep` (a dict; may
      be required empty) and a positive int field named by `length_key`.
    - `trainer` (module): `train_config(cfg, where: str) -> list[dict[str, np.ndarray]]` (one dict per
      run of the config's sweep; raise `errors.TrainingDiverged` naming `where` on a non-finite loss) and
      `THREADS` (torch threads it trains with, fixed so that reductions run in a fixed order).
    - `length_key`: the config field that `--steps` overrides in smoke runs ("steps", "epochs").
    - `safety`: the regression tests allow this many times the largest deviation measured between
      numerically different but correct settings (reproduce/checks/spread.py).
    - `dtype_floor`: (rtol, atol): the least tolerance the regression tests allow, all that a column
      whose measured spread is zero gets (reproduce/checks/spread.py); set by the family's float precision.
    - `teeth`: how tests/test_teeth.py shows that a real change fails a figure's regression check:
      "retrain" (train `perturb(cfg)`, compare with the baseline; for families that train in seconds)
      or "other_seed" (each seed's baseline rows, relabelled as another seed, must fail against that
      seed's rows: a different data seed and init, no training, for families whose runs take minutes).
    - `perturb` (with "retrain", "module:function"): `perturb(cfg) -> cfg`, a real, small change of one
      setting.
    - `ci_set`: `--set` overrides for the CI's second pass under other CPU kernels (`make portable`),
      e.g. one seed of a run that takes minutes; empty: the config as it is. Claims are compared with
      the native verdicts only for configs trained without overrides.
    - `bytes_per_run(cfg) -> int` (optional, "module:function"): memory the config's runs need, from
      the config alone, so a config that cannot fit is refused before training starts.
    - `seconds_per_run(cfg) -> float` (optional, "module:function"): the config's training time on the
      reference machine, from the config alone and the trainer's costs measured by `make bench` (stated
      where the function lives), so a run above core.config.MAX_SECONDS is refused before it starts.

    The source files a family's results depend on are derived from the trainer's imports
    (reproduce/core/deps.py), never listed here; the figures of a family are those whose results stem
    (`RESULTS_STEM`) names a config of that family.
    """
    name: str
    config_class: str
    trainer: str
    length_key: str
    dtype_floor: tuple[float, float]
    safety: float
    teeth: str
    perturb: str | None = None
    ci_set: tuple[str, ...] = ()
    bytes_per_run: str | None = None
    seconds_per_run: str | None = None

    def config_type(self) -> type:
        module, cls = self.config_class.split(":")
        return getattr(import_module(module), cls)

    def trainer_module(self):
        return import_module(self.trainer)

    @property
    def threads(self) -> int:
        return self.trainer_module().THREADS

    def config_module_path(self) -> str:
        return self.config_class.split(":")[0]

    def estimate_bytes(self, cfg) -> int:
        return 0 if self.bytes_per_run is None else int(_function(self.bytes_per_run)(cfg))

    def estimate_seconds(self, cfg) -> float:
        return 0.0 if self.seconds_per_run is None else float(_function(self.seconds_per_run)(cfg))

    def perturbed(self, cfg):
        return _function(self.perturb)(cfg)


def _function(spec: str):
    module, fn = spec.split(":")
    return getattr(import_module(module), fn)


FAMILIES = {
    "scurve": Family(name="scurve", config_class="reproduce.scurve.config:SCurveConfig",
                     trainer="reproduce.scurve.train", length_key="steps", dtype_floor=(1e-12, 1e-20),
                     teeth="retrain",
                     safety=10.0,  # float64 round-off: other CPUs may amplify it more than ours
                     perturb="reproduce.scurve.config:perturb",
                     bytes_per_run="reproduce.scurve.config:scurve_bytes",
                     seconds_per_run="reproduce.scurve.config:scurve_seconds"),
    "grokking": Family(name="grokking", config_class="reproduce.grokking.config:GrokConfig",
                       trainer="reproduce.grokking.train", length_key="epochs", dtype_floor=(1e-6, 1e-12),
                       teeth="other_seed",
                       # float32 grokking moves phase epochs by up to ~25 % under other kernels, about as
                       # much as seeds differ: 10× that would accept any seed, so the margin is 2×.
                       safety=2.0,
                       ci_set=("sweep.seed=[0]",),  # one seed (~4 min natively) under other kernels
                       seconds_per_run="reproduce.grokking.config:grok_seconds"),
    # the S-curve trainer plus restarts of every bump with the other pairs frozen / removed (figT7)
    "scurve_restart": Family(name="scurve_restart", config_class="reproduce.scurve.config:RestartConfig",
                             trainer="reproduce.scurve.restart", length_key="steps",
                             dtype_floor=(1e-12, 1e-20), teeth="retrain", safety=10.0,
                             perturb="reproduce.scurve.config:perturb",
                             bytes_per_run="reproduce.scurve.config:restart_bytes",
                             seconds_per_run="reproduce.scurve.config:restart_seconds"),
}


DEFAULT = "scurve"  # the family of a config file without a `family` key


def get(name: str, where: str = "config") -> Family:
    """The family called `name`, or a ConfigError naming the file, the key and the valid names."""
    if name not in FAMILIES:
        raise ConfigError(f"{where}: key 'family': must be one of {', '.join(FAMILIES)}; got {name!r}")
    return FAMILIES[name]


def of(cfg) -> Family:
    return get(cfg.family)


def of_data(data: dict, where: str = "config") -> Family:
    """The family of a config's TOML table (DEFAULT without a `family` key), or a ConfigError."""
    name = data.get("family", DEFAULT)
    if not isinstance(name, str):
        raise ConfigError(f"{where}: key 'family': expected str, got {name!r}")
    return get(name, where)
