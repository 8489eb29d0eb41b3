"""glia.optim: lbfgs (being written)."""
__all__ = []
