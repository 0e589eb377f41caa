"""One training step: zero_grad, forward, loss, backward and step on a real network and
batch, with every tensor in place."""

from ml101.ui.layout import page_header
from ml101.ui.views import step as step_view

page_header(
    "One training step",
    "A real network and a real batch going through one pass of the training loop: "
    "zero_grad(), forward, loss, backward(), step(), every tensor shown.  \nPress Play or "
    "Step to walk it one layer, one graph node at a time; Next batch trains on.",
)
shown = step_view.stage()
step_view.numbers(shown)
step_view.explanation()
step_view.code(shown)
