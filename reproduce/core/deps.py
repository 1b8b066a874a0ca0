"""Make prerequisites from the import graph: `python -m reproduce deps` prints one rule per result and
per figure, naming every package source file (and data file) it is computed from. The Makefile includes
the output (build/deps.mk) and regenerates it whenever a source or config changes, so a helper newly
imported by a trainer retrains its results, and editing one figure module redraws that figure only.

Only the standard library is used (ast, tomllib): the rules are written before any dependency is
installed. Imports are followed wherever they appear (also inside functions); a module's data files
are the files named by `paths.<NAME>` constants it uses and sibling files it names by a string literal.
"""
from __future__ import annotations

import ast
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from . import families, paths

PACKAGE = paths.ROOT / "reproduce"
# Files every training run reads besides its family's trainer and config class (the CLI's train path).
# The CLI module itself counts, but not what its other commands import (plotting, claims, spread).
CLI = "reproduce/__main__.py"
TRAIN_ENTRY = ("reproduce/core/results.py", "reproduce/core/families.py")
FIGURE_ENTRY = ("reproduce/figures/__init__.py", "reproduce/figures/common.py")


def module_file(name: str) -> Path | None:
    """reproduce.x.y -> reproduce/x/y.py or reproduce/x/y/__init__.py (None outside the package)."""
    parts = name.split(".")
    if parts[0] != "reproduce":
        return None
    base = paths.ROOT.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(paths.ROOT).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=None)
def _direct(path: Path) -> tuple[frozenset, frozenset]:
    """(imported module files, data files) named directly in one source file."""
    tree = ast.parse(path.read_text(), str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules, data = set(), set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "paths":
            target = getattr(paths, node.attr, None)
            if isinstance(target, Path) and target.is_file() and paths.RESULTS not in target.parents:
                data.add(target)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and re.fullmatch(r"[\w.-]{1,64}", node.value) and node.value != path.name \
                and (path.parent / node.value).is_file():
            data.add(path.parent / node.value)
        for target in targets:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__, …
                found = module_file(".".join(parts[:i]))
                if found is not None:
                    modules.add(found)
    modules.discard(path)
    return frozenset(modules), frozenset(data)


def closure(*files: str | Path) -> list[str]:
    """Every package file (sources and data) the given files read, transitively, relative to the root."""
    todo = [Path(paths.ROOT / f) if not Path(f).is_absolute() else Path(f) for f in files]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.suffix == ".py":
            mods, data = _direct(path)
            todo.extend(mods | data)
    return sorted(str(p.relative_to(paths.ROOT)) for p in seen)


def config_family(config_path: Path) -> families.Family:
    return families.of_data(tomllib.loads(config_path.read_text()), str(config_path))


def trainer_sources(family: families.Family) -> list[str]:
    found = closure(*TRAIN_ENTRY, module_file(family.trainer), module_file(family.config_module_path()))
    return sorted({*found, CLI})


def figure_results_stem(module_path: Path) -> str:
    """The module's RESULTS_STEM assignment (a string literal), else its own stem; read without importing."""
    for node in ast.parse(module_path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RESULTS_STEM" for t in node.targets):
            return ast.literal_eval(node.value)
    return module_path.stem


def figure_modules() -> list[Path]:
    return sorted((PACKAGE / "figures").glob("fig*.py"))


def make_rules() -> str:
    lines = ["# Generated by `python -m reproduce deps` (reproduce/core/deps.py); do not edit.\n"]
    for cfg_path in sorted(paths.CONFIGS.glob("*.toml")):
        try:
            family = config_family(cfg_path)
        except (tomllib.TOMLDecodeError, ValueError) as err:  # training reports it, with the key
            lines.append(f"# {cfg_path.name}: {str(err).splitlines()[0]}\n")
            continue
        lines.append(f"data/results/{cfg_path.stem}.npz: {' '.join(trainer_sources(family))}\n")
    claim_sources = set(closure(PACKAGE / "claims.py"))
    for mod in figure_modules():
        sources = closure(*FIGURE_ENTRY, mod)
        claim_sources |= set(sources)
        lines.append(f"paper/figures/{mod.stem}.png: data/results/{figure_results_stem(mod)}.npz "
                     f"{' '.join(sources)}\n")
    lines.append(f"CLAIMS_SRC := {' '.join(sorted(claim_sources))}\n")
    # the report's own notebook imports count too (it reads the answer sentences, the figure modules)
    report = [p for p in (PACKAGE / "report.py", paths.PAPER / "s_curves.py") if p.is_file()]
    lines.append(f"REPORT_SRC := {' '.join(closure(*report))}\n")
    return "".join(lines)
