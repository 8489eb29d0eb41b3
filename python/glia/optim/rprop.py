"""glia.optim: rprop (being written)."""
__all__ = []
