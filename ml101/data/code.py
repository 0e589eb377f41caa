"""The "Show the code" script: a runnable DataLoader for the page's settings that prints
the batch count and the batch on screen, checked against the dataset sample by sample."""

from __future__ import annotations

from ml101.data import image_folder
from ml101.data.loader import VAL_SHOWN, LoaderConfig
from ml101.datasets import DATASETS, generator_call, generator_source


def code_for(cfg: LoaderConfig, epoch: int, batch: int) -> str:
    """Runnable code for these settings: it prints the batch count and, for the chosen
    epoch and batch (both 0-based here, 1-based in the printout), the indices and tensors."""
    lines = ["import math", "", "import torch",
             "from torch.utils.data import DataLoader, Dataset, random_split"]
    if cfg.is_images:
        lines[0:1] = ["import tempfile", "from pathlib import Path", "", "import numpy as np",
                      "from matplotlib import image as mpimg"]
    lines += ["", f"torch.manual_seed({cfg.seed})  # every draw below uses its own seeded "
              "generator too",
              "torch.set_printoptions(precision=4, sci_mode=False)  # 4 decimals, never 1e-04",
              "", ""]
    if cfg.is_images:
        per_class = cfg.n_samples // len(image_folder.SHAPES)
        lines += [image_folder.source(), "",
                  "folder = Path(tempfile.mkdtemp())",
                  f"write_shapes(folder, {per_class}, {cfg.seed})",
                  "dataset = ShapesFolder(folder)",
                  "print(f'{len(dataset)} images, classes {dataset.classes}')"]
    else:
        spec = DATASETS[cfg.dataset]
        call = generator_call(cfg.dataset, cfg.n_samples, cfg.noise, cfg.n_classes,
                              f"torch.Generator().manual_seed({cfg.seed})")
        lines += [generator_source(cfg.dataset), "",
                  "class PointsDataset(Dataset):",
                  "    def __init__(self, X, y):",
                  "        self.X, self.y = X, y",
                  "",
                  "    def __len__(self):",
                  "        return len(self.X)",
                  "",
                  "    def __getitem__(self, idx):",
                  "        return self.X[idx], self.y[idx]",
                  "", "",
                  f"dataset = PointsDataset(*{call})  # {spec.label}"]
    shuffle, drop = cfg.shuffle, cfg.drop_last
    if cfg.val_percent:
        lines += ["",
                  f"val_share = {cfg.val_percent / 100!r}  # random_split floors each share, "
                  "then hands out the rest",
                  "train_set, val_set = random_split(dataset, [1 - val_share, val_share],",
                  f"                                 generator=torch.Generator()"
                  f".manual_seed({cfg.seed}))",
                  f"print('validation indices:', sorted(val_set.indices)[:{VAL_SHOWN}])"
                  f"  # the first {VAL_SHOWN}, as the page lists them",
                  "to_index = train_set.indices  # position in train_set -> index in dataset"]
    else:
        lines += ["", "train_set = dataset", "to_index = list(range(len(dataset)))"]
    loader_args = (f"batch_size={cfg.batch_size}, shuffle={shuffle}, drop_last={drop},\n"
                   f"                    generator=torch.Generator().manual_seed({cfg.seed}))")
    lines += [
        "",
        f"loader = DataLoader(train_set, {loader_args}",
        "print('batches per epoch:', len(loader))",
        "",
        "# The order depends only on len(train_set), the settings and the generator, never on",
        "# the data: a loader over the positions 0..n-1 with an identically seeded generator",
        "# serves exactly the positions `loader` serves, as long as both run whole epochs",
        "# (a sampler draws once more when it is exhausted, so zip() would put them out of step).",
        f"positions = DataLoader(range(len(train_set)), {loader_args}",
        "",
        f"for epoch in range(1, {epoch + 2}):",
        "    order = [pos.tolist() for pos in positions]  # this epoch's positions, per batch",
        "    for b, (X_batch, y_batch) in enumerate(loader, start=1):",
        "        idx = [to_index[p] for p in order[b - 1]]",
        "        assert torch.equal(X_batch, torch.stack([dataset[i][0] for i in idx]))",
        f"        if epoch == {epoch + 1} and b == {batch + 1}:",
        "            print(f'epoch {epoch}, batch {b}: indices {idx}')",
        "            print('X_batch', tuple(X_batch.shape), 'y_batch', tuple(y_batch.shape))",
    ]
    if not cfg.is_images:
        rows = "" if cfg.batch_size <= 8 else "[:8]"
        lines += [f"            print(X_batch{rows})", f"            print(y_batch{rows})"]
    return "\n".join(lines) + "\n"
