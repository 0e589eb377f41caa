"""The one palette holds for everyone: marks readable on the page, text readable on the
theme, and series that stay apart for colour-blind viewers (simulated with colorspacious,
Machado et al. 2009 at full severity, distances in CAM02-UCS)."""

from __future__ import annotations

import itertools
import tomllib

import numpy as np
import pytest
from colorspacious import cspace_convert
from matplotlib import colormaps

from ml101 import style
from tests.conftest import ROOT

THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
WHITE = "#FFFFFF"
VISIONS = (None, "deuteranomaly", "protanomaly")


def rgb(hex_: str) -> np.ndarray:
    h = hex_.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255


def luminance(hex_: str) -> float:
    c = rgb(hex_)
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def seen(colours: np.ndarray, vision: str | None) -> np.ndarray:
    """The colours as a viewer with `vision` sees them, in CAM02-UCS."""
    if vision is not None:
        colours = np.clip(cspace_convert(colours, {"name": "sRGB1+CVD", "cvd_type": vision,
                                                   "severity": 100}, "sRGB1"), 0, 1)
    return cspace_convert(colours, "sRGB1", "CAM02-UCS")


def closest_pair(hexes: list[str], vision: str | None) -> float:
    pts = seen(np.array([rgb(h) for h in hexes]), vision)
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(pts, 2))


@pytest.mark.parametrize("colour", [*style.SERIES, style.MUTED, style.INK, style.HIGHLIGHT])
def test_every_mark_colour_stands_out_from_the_page(colour: str) -> None:
    assert contrast(colour, WHITE) >= 3.0, colour  # WCAG 1.4.11: graphics 3:1


@pytest.mark.parametrize("vision", VISIONS, ids=lambda v: v or "normal")
def test_series_stay_apart_for_colour_blind_viewers(vision: str | None) -> None:
    """All nine racers of the optimizer race can be on one map (L-BFGS in the ink)."""
    assert closest_pair([*style.SERIES, style.INK], vision) >= 10
    assert closest_pair(list(style.SERIES[:4]), vision) >= 13  # the lesson's four, classes


@pytest.mark.parametrize("vision", VISIONS, ids=lambda v: v or "normal")
def test_the_two_classes_regions_stay_apart(vision: str | None) -> None:
    assert closest_pair([style.REGIONS[0], style.REGIONS[2]], vision) >= 10


@pytest.mark.parametrize("vision", VISIONS, ids=lambda v: v or "normal")
def test_the_sequential_scheme_reads_as_lightness(vision: str | None) -> None:
    """Viridis runs dark to light for every viewer, so magnitudes read without hue."""
    assert style.SEQUENTIAL == "viridis"
    lightness = seen(colormaps["viridis"](np.linspace(0, 1, 32))[:, :3], vision)[:, 0]
    assert np.all(np.diff(lightness) > 0)


def test_the_theme_is_the_palette_and_its_text_is_readable() -> None:
    assert THEME["primaryColor"] == style.HIGHLIGHT
    assert contrast(THEME["primaryColor"], THEME["backgroundColor"]) >= 4.5  # slider values
    assert contrast(THEME["primaryColor"], WHITE) >= 4.5  # white text on primary buttons
    for bg in (THEME["backgroundColor"], THEME["secondaryBackgroundColor"]):
        assert contrast(THEME["textColor"], bg) >= 7


def test_every_chart_keeps_its_marks_out_of_the_accessibility_tree() -> None:
    """The chart's description speaks for it; see chart_config."""
    assert style.chart_config()["mark"] == {"aria": False}
    assert style.chart_config(1.5)["mark"] == {"aria": False}
