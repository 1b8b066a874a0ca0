"""The errors the command line reports as one line (no traceback): bad input and diverged runs."""


class ConfigError(ValueError):
    """A config problem, already phrased as `file: key 'x': what is wrong` (exit code 2)."""


class TrainingDiverged(RuntimeError):
    """The loss became non-finite or exploded; the message names config, seed and step (exit code 3)."""
