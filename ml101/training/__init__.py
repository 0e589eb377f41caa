"""The training pipeline: a run that trains in chunks, early stopping, rewinding,
checkpoints, and the three ways to save a model."""
