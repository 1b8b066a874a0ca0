"""Figure 2 — vector target (N = 100): the same exponential convergence as the scalar, for any start.
Spec: paper/spec/post.md#fig02_vector.

    python -m reproduce plot fig02_vector
"""
from .common import exponential_caption, exponential_claims, exponential_data, exponential_plot

SOURCE = "reproduced: post [R/U], the vector baseline (settings are this package's choice [S])"


def figure_data(res):
    return exponential_data(res)


def plot(res, data):
    return exponential_plot(res, data)


def caption(res):
    return exponential_caption(res, SOURCE)


def claims(res):
    return exponential_claims(res)
