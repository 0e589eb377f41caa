"""Tensors: creating them from typed literals, operations and broadcasting, reshaping and
indexing, NumPy interop and shared memory (the Tensor playground)."""
