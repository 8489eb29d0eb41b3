"""glia.optim: evolution (being written)."""
__all__ = []
