"""One training step of a real network, op by op: zero_grad, forward, loss, backward, step,
with every tensor read from the real run (hooks, the recorded graph, the optimizer's state)."""
