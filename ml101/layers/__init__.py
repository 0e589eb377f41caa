"""Layers and modules: the layer catalogue with its shape rules and parameters, what each
layer does to data, and SimpleNet as a class and as nn.Sequential."""
