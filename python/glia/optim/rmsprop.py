"""glia.optim: rmsprop (being written)."""
__all__ = []
