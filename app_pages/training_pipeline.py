"""Training pipeline: train a real network live, stop early, rewind, save and load."""

from ml101.ui.layout import page_header
from ml101.ui.views import training

page_header(
    "Training pipeline",
    "Pick a scene or a dataset, press **Play**, and watch a real PyTorch network learn: its "
    "decision boundary and loss curves, then early stopping.  \nRewind to any epoch, restore "
    "the best weights, save or load checkpoints, and copy the code that prints these numbers.",
)
run = training.stage_section()
training.own_table_section(run)  # a learner's own table: first rows, columns, classes
training.rewind_section(run)
training.history_section(run)
training.explain_section(run)
training.model_section(run)
training.save_section(run)
training.code_section(run)
