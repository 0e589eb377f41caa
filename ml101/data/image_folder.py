"""Practice problem 5: a custom Dataset that loads labelled images from a folder.

`write_shapes` draws small greyscale shapes with numpy (position and size jittered by
a seeded torch.Generator) and saves them as PNG files in the layout torchvision's
ImageFolder expects: one sub-folder per class. `ShapesFolder` is the custom Dataset
that finds those files and reads one image from disk per `__getitem__`. The functions
are self-contained so generated code can paste them verbatim.
"""

from __future__ import annotations

import functools
import inspect
import tempfile
from pathlib import Path

import numpy as np
import torch
from matplotlib import image as mpimg
from torch.utils.data import Dataset

SHAPES = ("circle", "cross", "square", "triangle")  # sorted: label order of the folders
IMAGE_SIZE = 20
MAX_PER_CLASS = 100
MAX_FILES = 4 * MAX_PER_CLASS


def draw_shape(kind: str, size: int, cx: float, cy: float, radius: float) -> np.ndarray:
    """One white shape on black, as a float array in [0, 1] of shape [size, size]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dx, dy = xx - cx, yy - cy
    if kind == "circle":
        mask = dx**2 + dy**2 <= radius**2
    elif kind == "square":
        mask = (np.abs(dx) <= radius * 0.8) & (np.abs(dy) <= radius * 0.8)
    elif kind == "triangle":  # apex up: inside while |dx| shrinks as we climb
        mask = (dy <= radius * 0.8) & (np.abs(dx) <= (dy + radius) * 0.55)
    elif kind == "cross":
        bar = radius * 0.25
        mask = ((np.abs(dx) <= bar) | (np.abs(dy) <= bar)) & (np.abs(dx) <= radius) & (
            np.abs(dy) <= radius)
    else:
        raise ValueError(f"unknown shape {kind!r}")
    return mask.astype(np.float32)


def write_shapes(root: Path, per_class: int, seed: int, size: int = 20) -> None:
    """Draw `per_class` images of each shape into root/<shape>/<shape>_<i>.png."""
    g = torch.Generator().manual_seed(seed)  # this source is printed in the code panel
    for kind in ("circle", "cross", "square", "triangle"):
        folder = Path(root) / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            jitter = torch.rand(3, generator=g).tolist()  # size and position, each in [0, 1)
            radius = size * (0.2 + 0.12 * jitter[0])
            cx, cy = size / 2 - 1.5 + 3 * jitter[1], size / 2 - 1.5 + 3 * jitter[2]
            pixels = draw_shape(kind, size, cx, cy, radius)
            mpimg.imsave(folder / f"{kind}_{i:03d}.png", pixels, cmap="gray", vmin=0, vmax=1)


class ShapesFolder(Dataset):
    """Images in root/<class>/*.png; the label is the class folder's position."""

    def __init__(self, root: Path, max_files: int = 400) -> None:
        self.classes = sorted(p.name for p in Path(root).iterdir() if p.is_dir())
        self.files: list[tuple[Path, int]] = []
        for label, name in enumerate(self.classes):
            for path in sorted((Path(root) / name).glob("*.png")):
                self.files.append((path, label))
                if len(self.files) > max_files:
                    raise ValueError(f"more than {max_files} images under {root}")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, int]:
        path, label = self.files[idx]
        pixels = mpimg.imread(path)[..., 0]  # PNG as RGBA floats in [0, 1]; grey: one channel
        return torch.from_numpy(np.ascontiguousarray(pixels)).unsqueeze(0), label


def check_per_class(per_class: int) -> int:
    """Images per shape, capped before anything is drawn."""
    if isinstance(per_class, bool) or not isinstance(per_class, int):
        raise ValueError(f"images per class must be a whole number, not {per_class!r}")
    if not 1 <= per_class <= MAX_PER_CLASS:
        raise ValueError(f"images per class must be between 1 and {MAX_PER_CLASS}, "
                         f"not {per_class}")
    return per_class


@functools.cache
def source() -> str:
    """The drawing, writing and Dataset code, for pasting into generated code."""
    return "\n\n".join(inspect.getsource(obj) for obj in (draw_shape, write_shapes,
                                                            ShapesFolder))


def build(per_class: int, seed: int) -> tuple[tempfile.TemporaryDirectory, ShapesFolder]:
    """Draw the images into a fresh temporary folder and open it as a Dataset; the folder
    lives as long as the returned TemporaryDirectory does."""
    per_class = check_per_class(per_class)
    folder = tempfile.TemporaryDirectory(prefix="ml101-shapes-")
    write_shapes(Path(folder.name), per_class, seed, IMAGE_SIZE)
    return folder, ShapesFolder(Path(folder.name), max_files=MAX_FILES)


def tiles(images: torch.Tensor, scale: int = 4) -> list[np.ndarray]:
    """Each image of a [B, 1, H, W] batch enlarged by pixel repetition, so it stays crisp."""
    block = np.ones((scale, scale), dtype=np.float32)
    return [np.kron(img[0].numpy(), block) for img in images]
