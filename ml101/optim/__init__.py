"""The optimizer race: torch.optim's optimizers stepping across 2-D loss surfaces."""
