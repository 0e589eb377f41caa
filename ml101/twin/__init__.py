"""NumPy vs PyTorch: lesson 4's from-scratch NumPy network and its PyTorch twin, trained
side by side to the same numbers."""
