"""Two-dimensional loss surfaces for racing optimizers, each with its known minima.

`value` is f written with torch operations; `code` is the same formula, operation for
operation, as Python source for the page's code. The race differentiates `value` with
autograd, the code differentiates `code`: same operations in the same order, same bits
(a test runs both).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

Pair = tuple[float, float]
TWO_PI = 2 * math.pi
# The tilted bowl: eigenvalues 1 and 50 (condition number 50), valley along x = y.
_QA, _QB = 25.5, -24.5


@dataclass(frozen=True)
class Surface:
    key: str
    name: str
    code: str  # Python expression in x and y (torch tensors); `math` may be used
    latex: str
    minima: tuple[Pair, ...]
    window: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    start: Pair
    lesson: str  # what this surface teaches
    _value: Callable[[Tensor, Tensor], Tensor]

    def value(self, x: Tensor, y: Tensor) -> Tensor:
        """f(x, y) elementwise; the minimum value of every surface here is 0."""
        return self._value(x, y)

    @property
    def box(self) -> float:
        """Leaving |x| or |y| > box counts as divergence: far outside the view."""
        return 50.0 * max(abs(v) for v in self.window)

    def nearest_min_distance(self, xy: np.ndarray) -> np.ndarray:
        """Distance from each point (..., 2) to the nearest known minimum."""
        mins = np.asarray(self.minima, dtype=np.float64)
        d = np.linalg.norm(xy[..., None, :] - mins, axis=-1)
        return d.min(axis=-1)

    def grid(self, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x (n,), y (n,), f (n, n) over the view window, in float64, for contours."""
        x0, x1, y0, y1 = self.window
        xs = np.linspace(x0, x1, n)
        ys = np.linspace(y0, y1, n)
        gx, gy = np.meshgrid(xs, ys)
        z = self.value(torch.from_numpy(gx), torch.from_numpy(gy)).numpy()
        return xs, ys, z


SURFACES: dict[str, Surface] = {s.key: s for s in (
    Surface(
        "rosenbrock", "Rosenbrock (the lesson's)",
        "(1 - x)**2 + 100 * (y - x**2)**2",
        r"f(x,y) = (1-x)^2 + 100\,(y-x^2)^2",
        ((1.0, 1.0),), (-2.0, 2.0, -1.0, 3.0), (-1.0, 1.0),
        "A curved, flat-bottomed valley. Finding the valley is easy; following it to "
        "(1, 1) is slow, because the gradient points across the valley, not along it.",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    ),
    Surface(
        "beale", "Beale",
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        r"f = (1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2",
        ((3.0, 0.5),), (-4.5, 4.5, -4.5, 4.5), (1.0, 1.5),
        "Flat plateaus next to cliffs: gradients differ by orders of magnitude from "
        "place to place, so one fixed step size is either too timid or too wild.",
        lambda x, y: ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
                      + (2.625 - x + x * y**3) ** 2),
    ),
    Surface(
        "himmelblau", "Himmelblau",
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        r"f = (x^2+y-11)^2 + (x+y^2-7)^2",
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        (-5.0, 5.0, -5.0, 5.0), (-0.5, -0.5),
        "Four equally good minima. Where an optimizer ends up depends on where it "
        "starts and how far its first steps carry it: click around to see the basins.",
        lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    ),
    Surface(
        "bowl", "Narrow bowl (axis-aligned)",
        "0.5 * x**2 + 25 * y**2",
        r"f = \tfrac12 x^2 + 25\,y^2 \quad(\text{condition number } 50)",
        ((0.0, 0.0),), (-5.0, 5.0, -5.0, 5.0), (-4.5, 2.0),
        "A quadratic 50 times steeper across than along. Plain SGD must use a step small "
        "enough for the steep direction (lr < 2/50), so it crawls along the flat one. "
        "Adagrad and RMSprop rescale each coordinate, which works here because the valley "
        "lies along an axis: tuned, they get below f = 0.001 in a handful of steps.",
        lambda x, y: 0.5 * x**2 + 25 * y**2,
    ),
    Surface(
        "tilted", "Narrow bowl (tilted 45°)",
        f"0.5 * ({_QA} * x**2 + 2 * ({_QB}) * x * y + {_QA} * y**2)",
        r"f = \tfrac12(25.5x^2 - 49xy + 25.5y^2) \quad(\text{same bowl, rotated})",
        ((0.0, 0.0),), (-5.0, 5.0, -5.0, 5.0), (-4.0, -2.0),
        "The same bowl turned by 45°. Its valley now mixes both coordinates, so "
        "per-coordinate scaling (Adagrad, RMSprop) loses its advantage: tuned, they need "
        "dozens of times more steps than on the axis-aligned bowl. Momentum still helps.",
        lambda x, y: 0.5 * (_QA * x**2 + 2 * _QB * x * y + _QA * y**2),
    ),
    Surface(
        "saddle", "Saddle between two wells",
        "0.25 * (x**2 - 1)**2 + 0.5 * y**2",
        r"f = \tfrac14(x^2-1)^2 + \tfrac12 y^2",
        ((-1.0, 0.0), (1.0, 0.0)), (-2.0, 2.0, -2.0, 2.0), (0.001, 1.8),
        "A saddle point at (0, 0): downhill in y, but the gradient in x is almost zero "
        "near x = 0. SGD slides into the saddle and lingers; momentum and the optimizers "
        "that rescale small gradients (Adam, RMSprop) leave it much sooner.",
        lambda x, y: 0.25 * (x**2 - 1) ** 2 + 0.5 * y**2,
    ),
    Surface(
        "rastrigin", "Rastrigin",
        "20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)",
        r"f = 20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y",
        ((0.0, 0.0),), (-5.12, 5.12, -5.12, 5.12), (3.2, -2.7),
        "A bowl covered in bumps: dozens of local minima. At their default rates every "
        "optimizer stops in the dip next to the start; a bigger step or more momentum can "
        "carry one over some bumps, into a better dip or a worse one. Nobody here finds "
        "(0, 0) by skill.",
        lambda x, y: (20 + x**2 - 10 * torch.cos(TWO_PI * x)
                      + y**2 - 10 * torch.cos(TWO_PI * y)),
    ),
)}
