"""Autograd: the expression parser, the graph PyTorch records for an expression, the
chain rule step by step, gradient accumulation and the errors learners meet."""
