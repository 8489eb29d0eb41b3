"""glia.optim: nadam (being written)."""
__all__ = []
