"""glia.optim: sgd (being written)."""
__all__ = []
