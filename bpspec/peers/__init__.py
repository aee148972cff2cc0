"""Adapters for peer frameworks (PyTorch, JAX), computing gradients with their own autodiff (spec ADP)."""
