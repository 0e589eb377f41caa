"""Autograd graph viewer: type an expression, see PyTorch's graph, walk backward through it."""

from ml101.ui.layout import page_header
from ml101.ui.views import autograd as autograd_view

page_header(
    "Autograd graph viewer",
    "Type an expression and see the graph PyTorch records for it, with every value and "
    "gradient in place.  \nThen press Play or Step to watch the chain rule run one node at a "
    "time, in the order PyTorch's engine runs it.",
)
graph = autograd_view.graph_stage()
autograd_view.experiments(graph)
autograd_view.explanation(graph)
