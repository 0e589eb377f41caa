"""Optimizer race: torch.optim's own classes raced across 2-D loss surfaces."""

from ml101.ui.layout import page_header
from ml101.ui.views import optim as optim_view

page_header(
    "Optimizer race",
    "Optimizers race downhill on a 2-D loss surface, each stepped by its own `torch.optim` "
    "class.  \nPick a surface and the racers, click the map to move the start, press Play, "
    "and open an optimizer's state to see why it moves as it does.",
)
race = optim_view.race()  # the map beside its controls, the transport, standings, curves
optim_view.explanations(race)
optim_view.code(race)
