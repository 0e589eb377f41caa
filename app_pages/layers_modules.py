"""Layers and modules: one layer's shapes and parameters, and SimpleNet written two ways."""

from ml101.ui.layout import page_header
from ml101.ui.views import layers as layers_view

page_header(
    "Layers and modules",
    "Pick a layer and an input shape: see what the layer does to data, the output shape and "
    "every parameter.  \nThen build the lesson's SimpleNet both as a class and as "
    "`nn.Sequential`, and prove they compute the same thing.",
)
one_layer, simplenet = layers_view.tabs()
layers_view.one_layer(one_layer)
layers_view.simplenet_tab(simplenet)
