"""glia.optim: adam (being written)."""
__all__ = []
