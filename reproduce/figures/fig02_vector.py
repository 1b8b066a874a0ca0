"""Figure 2 — vector target (N = 100): the same exponential convergence as the scalar, for any start.
Spec: paper/spec/post.md#fig02_vector. The figure is fig01's, drawn from this stem's results.

    python -m reproduce plot fig02_vector
"""
from . import common

SOURCE = "reproduced: post [R/U], the vector baseline (settings are this package's choice [S])"
figure_data, plot, claims = common.exponential_data, common.exponential_plot, common.exponential_claims


def caption(res, rules):
    return common.exponential_caption(res, SOURCE)
