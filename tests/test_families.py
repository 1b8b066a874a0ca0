"""Every family in reproduce/core/families.py keeps the contract its docstring states."""
import dataclasses

import pytest

from reproduce.core import config, families, paths


@pytest.mark.parametrize("name", families.FAMILIES)
def test_family_keeps_the_contract(name):
    fam = families.FAMILIES[name]
    cls = fam.config_type()
    fields = {f.name for f in dataclasses.fields(cls)}
    assert {"family", "device", "sweep", fam.length_key} <= fields
    trainer = fam.trainer_module()
    assert callable(trainer.train_config) and isinstance(fam.threads, int) and fam.threads >= 1
    assert fam.teeth in ("retrain", "other_seed")
    rtol, atol = fam.dtype_floor
    assert 0 < rtol < 1e-3 and 0 <= atol < 1e-6


def test_every_shipped_config_names_a_registered_family_and_perturb_changes_it():
    seen = set()
    for path in sorted(paths.CONFIGS.glob("*.toml")):
        cfg = config.load(path)
        fam = families.of(cfg)
        seen.add(fam.name)
        if fam.teeth != "retrain":
            assert fam.perturb is None, f"{fam.name}: a perturb that no teeth check uses"
            continue
        assert fam.perturbed(cfg) != cfg, f"{fam.name}: perturb leaves {path.name} unchanged"
        assert config.config_hash(fam.perturbed(cfg)) != config.config_hash(cfg)
    assert seen == set(families.FAMILIES), "a registered family has no config"


def test_an_unknown_family_names_the_valid_ones():
    with pytest.raises(config.ConfigError, match="key 'family': must be one of scurve, grokking"):
        families.get("nope", "x.toml")
