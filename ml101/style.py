"""The app's one look, for every chart spec in the core: colours, schemes and type sizes.

Series and class colours start from Okabe and Ito's colour-blind-safe set and were chosen
so that every pair stays apart (at least 10 CAM02-UCS units, with the ink too) in normal
vision and under simulated deuteranopia and protanopia, and every mark has at least 3:1
against a white background (WCAG's floor for chart marks); tests/unit/test_style.py checks
both. Colour is never the only cue: the charts add shapes, dashes or labels.
"""

from __future__ import annotations

from typing import Any

# Categorical: optimizers, runs, classes, devices. Order matters: the first two are the
# most distinct pair, for two-class pictures and A-vs-B comparisons.
SERIES: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#332288",  # indigo
    "#994F00",  # brown
    "#882255",  # wine
    "#8C564B",  # umber
)
# Signed values (weights, gradients, logits): blue below zero, orange above.
DIVERGING = "blueorange"
# Magnitudes (probabilities, counts, |values|).
SEQUENTIAL = "viridis"
# Decision regions behind the points: pale versions of SERIES[0] and SERIES[1].
REGIONS: tuple[str, ...] = ("#B3D4EA", "#F7F7F7", "#F2C3A6")
MUTED = "#666666"  # reference lines, captions inside charts (5.7:1 on white)
INK = "#1F2430"  # the theme's text colour: markers that must read on any background
# The one thing the learner is looking at: the theme's primaryColor (.streamlit/config.toml),
# PyTorch's orange darkened to 5.4:1 on white, so white text on it passes 4.5:1 as well.
HIGHLIGHT = "#C2391B"

# Type sizes in chart specs, in pixels. Legends never truncate their labels (limit 0).
FONT = {"label": 12, "title": 13, "heading": 15}


def chart_config(scale: float = 1.0) -> dict[str, Any]:
    """The Vega-Lite `config` every chart carries: one size system across pages, titles
    anchored left (the chart toolbar sits top right), full legend labels. `scale` enlarges
    the type (a projector's picture)."""
    font = {k: round(v * scale) for k, v in FONT.items()}
    return {
        "axis": {"labelFontSize": font["label"], "titleFontSize": font["title"]},
        "legend": {"labelFontSize": font["label"], "titleFontSize": font["title"],
                   "labelLimit": 0},
        "title": {"fontSize": font["heading"], "anchor": "start", "offset": 8},
        "header": {"labelFontSize": font["title"], "titleFontSize": font["title"]},
        # Marks stay out of the accessibility tree: a screen reader gets the chart's one-line
        # description (the `alt` every view passes) and its table, not hundreds of
        # "x: 0.3; y: 1.2" items (and an empty layer would be a nameless graphic).
        "mark": {"aria": False},
    }
