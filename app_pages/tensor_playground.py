"""Tensor playground: create, combine, reshape, slice and convert tensors."""

from ml101.ui.layout import page_header
from ml101.ui.views import tensors as tensors_view

page_header(
    "Tensor playground",
    "Type a tensor, pick an operation, and see the numbers PyTorch produces, cell by cell.  \n"
    "Shapes, strides, broadcasting and shared memory are drawn, not just described.",
)
tensors_view.playground()
