"""The errors the command line reports as one line (no traceback): bad input and diverged runs.

Standard library only: make's checks (paths.py, lock.py) run before any environment is installed."""


class BadInput(ValueError):
    """Something the user handed the package is unusable; the message names the file (and key) and what
    to do (exit code 2)."""


class ConfigError(BadInput):
    """A config problem, already phrased as `file: key 'x': what is wrong`."""


class ResultsError(BadInput):
    """A results file that is missing, truncated or corrupt, phrased as `file: what is wrong; what to do`."""


class OutputError(BadInput):
    """A place the package cannot write: a folder that is a file, cannot be created or written, or a full
    disk, phrased as `path: what is wrong; what to do` (raised before work starts where it can be seen)."""


class UnknownFigure(BadInput):
    """A figure stem with no module in reproduce/figures/."""


class TrainingDiverged(RuntimeError):
    """The loss became non-finite or exploded; the message names config, seed and step (exit code 3)."""
