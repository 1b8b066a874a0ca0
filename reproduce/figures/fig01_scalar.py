"""Figure 1 — scalar target: loss vs step on log-y, with the exact GD line L₀(1−η)^{2t}.
Spec: paper/spec/post.md#fig01_scalar.

    python -m reproduce plot fig01_scalar
"""
from .common import exponential_caption, exponential_claims, exponential_data, exponential_plot

SOURCE = "reproduced: post [R], Figure 1 (settings are this package's choice [S])"

figure_data = exponential_data
plot = exponential_plot
claims = exponential_claims


def caption(res, rules):
    return exponential_caption(res, SOURCE)
