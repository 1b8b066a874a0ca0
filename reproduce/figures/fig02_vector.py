"""Figure 2 — vector target (N = 100): the same exponential convergence as the scalar, for any start.

    python -m reproduce plot fig02_vector
"""
from .fig01_scalar import caption, claims, figure_data, plot  # noqa: F401  (same figure, other data)

SOURCE = "reproduced: post [R/U], the vector baseline (settings are this package's choice [S])"
