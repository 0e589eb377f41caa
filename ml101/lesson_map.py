"""The app's table of contents, in lesson order.

One entry per page: the router builds the navigation from it, the Home page
draws the lesson map from it, and the tests discover every page through it.
A page appears only once its script exists, so unbuilt pages never show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not "pages/": Streamlit would treat that folder as its old multipage layout.
PAGES_DIR = "app_pages"


@dataclass(frozen=True)
class PageInfo:
    file: str  # the page script's name inside PAGES_DIR
    title: str
    icon: str
    section: str
    summary: str
    lesson_sections: tuple[str, ...]
    url_path: str
    # Every control of the page is keyed "<prefix>_...": the key is its URL parameter, so
    # prefixes keep one page's deep-link parameters from colliding with another's.
    prefix: str

    @property
    def script(self) -> str:
        """Path relative to the repo root, as st.Page and AppTest.switch_page take it."""
        return f"{PAGES_DIR}/{self.file}"

    @property
    def path(self) -> Path:
        return ROOT / self.script


PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "home.py", "Home", ":material/map:", "Start",
        "The lesson map: what each page lets you try, in the order the lesson teaches it.",
        ("Introduction",), "start", "home",
    ),
    PageInfo(
        "tensor_playground.py", "Tensor playground", ":material/grid_on:", "Tensors",
        "Create tensors, combine them with broadcasting, reshape and slice them, "
        "and watch NumPy and PyTorch share memory.",
        ("Creating Tensors", "Tensor Operations", "NumPy vs PyTorch: Side by Side"),
        "tensors", "t",
    ),
    PageInfo(
        "gpu_benchmark.py", "CPU vs GPU benchmark", ":material/speed:", "Tensors",
        "Time matrix multiplies and other ops the right way: warm-up, synchronisation, "
        "medians, and throughput against the hardware's peak.",
        ("GPU Acceleration",), "benchmark", "bm",
    ),
    PageInfo(
        "autograd_graph.py", "Autograd graph viewer", ":material/account_tree:", "Gradients",
        "Type an expression and see the graph PyTorch records, with every value and gradient, "
        "then walk the chain rule backwards one node at a time.",
        ("Automatic Differentiation with Autograd", "Gradient Accumulation"), "autograd", "ag",
    ),
    PageInfo(
        "training_step.py", "One training step", ":material/footprint:", "Gradients",
        "Walk one pass of the training loop on a real network and batch: zero_grad, each "
        "layer forward, the loss, every node of backward, the optimizer's step.",
        ("Training a Model: Complete Example", "Optimizers: Beyond Vanilla SGD"),
        "one-step", "ts",
    ),
    PageInfo(
        "layers_modules.py", "Layers and modules", ":material/layers:", "Networks",
        "Pick a layer, feed it a shape, and see what comes out: parameters, shapes, "
        "and what each layer does to its input.",
        ("Building Neural Networks with nn.Module", "Sequential API",
         "Available Layers and Activations"),
        "layers", "ly",
    ),
    PageInfo(
        "numpy_vs_pytorch.py", "NumPy vs PyTorch", ":material/compare_arrows:", "Networks",
        "The from-scratch NumPy network of lesson 4 and its PyTorch twin, trained side by side "
        "to the same numbers.",
        ("Training a Model: Complete Example", "Comparison: NumPy vs PyTorch"),
        "numpy-vs-torch", "np",
    ),
    PageInfo(
        "optimizer_race.py", "Optimizer race", ":material/sports_score:", "Training",
        "Race SGD, momentum, Adam and friends across loss surfaces and see why each one "
        "moves as it does.",
        ("Optimizers: Beyond Vanilla SGD", "Comparing Optimizers"), "optimizers", "op",
    ),
    PageInfo(
        "dataloader_viewer.py", "DataLoader batch viewer", ":material/view_module:",
        "Training",
        "See how a DataLoader cuts an epoch into batches: shuffling, the short last batch, "
        "collation and random_split.",
        ("Data Loading with DataLoader",), "dataloader", "dl",
    ),
    PageInfo(
        "training_pipeline.py", "Training pipeline", ":material/model_training:", "Training",
        "Train a real network live, stop early, rewind, and save and load checkpoints.",
        ("Training with DataLoader", "Saving and Loading Models",
         "Putting It All Together: Complete Training Pipeline"),
        "training", "tr",
    ),
)


def built_pages() -> list[PageInfo]:
    """The pages whose scripts exist, in lesson order."""
    return [p for p in PAGES if p.path.exists()]


def page_by_url(url_path: str) -> PageInfo:
    return next(p for p in PAGES if p.url_path == url_path)
