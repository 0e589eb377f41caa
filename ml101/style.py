"""The app's one look, for every chart spec in the core: colours, schemes and type sizes.

Series and class colours are Okabe and Ito's colour-blind-safe set, darkened where a hue
fell under 3:1 against a white background (WCAG's floor for chart marks), so lines and
points stay distinct under deuteranopia and protanopia and readable on a projector.
"""

from __future__ import annotations

from typing import Any

# Categorical: optimizers, runs, classes, devices. Order matters: the first two are the
# most distinct pair, for two-class pictures and A-vs-B comparisons.
SERIES: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#AA4499",  # purple
    "#A6761D",  # ochre
    "#332288",  # indigo
    "#CC6677",  # rose
    "#666666",  # grey
)
# Signed values (weights, gradients, logits): blue below zero, orange above.
DIVERGING = "blueorange"
# Magnitudes (probabilities, counts, |values|).
SEQUENTIAL = "viridis"
# Decision regions behind the points: pale versions of SERIES[0] and SERIES[1].
REGIONS: tuple[str, ...] = ("#B3D4EA", "#F7F7F7", "#F2C3A6")
MUTED = "#666666"  # reference lines, captions inside charts (5.7:1 on white)
HIGHLIGHT = "#EE4C2C"  # the one thing the learner is looking at (the theme's primary)

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
    }
