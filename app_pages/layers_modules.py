"""Layers and modules: one layer's shapes and parameters, and SimpleNet written two ways."""

from ml101.ui import controls
from ml101.ui.layout import page_header
from ml101.ui.views import layers as layers_view

page_header(
    "Layers and modules",
    "Pick a layer, give it an input shape, and see the output shape, every parameter, and "
    "what the layer does to data.  \nThen build the lesson's SimpleNet both as a class and as "
    "`nn.Sequential`, and prove they compute the same thing.",
)
seed = controls.seed_input("ly_seed")
tabs = controls.tabs(layers_view.TABS, key="ly_tab")
for tab, render in zip(tabs, (layers_view.layer_tab, layers_view.simplenet_tab), strict=True):
    if tab.open is not False:  # only the open tab runs: a rerun stays fast
        with tab:
            render(seed)
