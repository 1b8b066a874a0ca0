"""The errors the command line reports as one line (no traceback): bad input and diverged runs."""


class BadInput(ValueError):
    """Something the user handed the package is unusable; the message names the file (and key) and what
    to do (exit code 2)."""


class ConfigError(BadInput):
    """A config problem, already phrased as `file: key 'x': what is wrong`."""


class ResultsError(BadInput):
    """A results file that is missing, truncated or corrupt, phrased as `file: what is wrong; what to do`."""


class UnknownFigure(BadInput):
    """A figure stem with no module in reproduce/figures/."""


class TrainingDiverged(RuntimeError):
    """The loss became non-finite or exploded; the message names config, seed and step (exit code 3)."""
