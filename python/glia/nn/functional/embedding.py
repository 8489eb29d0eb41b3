"""glia.nn.functional: embedding (being written)."""
__all__ = []
