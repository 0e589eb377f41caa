"""Tensor playground: create, combine, reshape, slice and convert tensors."""

from ml101.ui import controls
from ml101.ui.layout import page_header
from ml101.ui.views import tensors as tensor_tabs

page_header(
    "Tensor playground",
    "Type a tensor, pick an operation, and see the numbers PyTorch produces, cell by cell.  \n"
    "Shapes, strides, broadcasting and shared memory are drawn, not just described.",
)
tabs = controls.tabs(tensor_tabs.TABS, key="t_tab")
renderers = (tensor_tabs.create, tensor_tabs.operate, tensor_tabs.reshape_and_index,
             tensor_tabs.numpy_side)
for tab, render in zip(tabs, renderers, strict=True):
    if tab.open is not False:  # only the open tab runs: a rerun stays fast
        with tab:
            render()
