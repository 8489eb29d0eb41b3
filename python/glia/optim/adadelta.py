"""glia.optim: adadelta (being written)."""
__all__ = []
