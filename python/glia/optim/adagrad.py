"""glia.optim: adagrad (being written)."""
__all__ = []
