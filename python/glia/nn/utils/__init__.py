"""glia.nn.utils (being written)."""
__all__ = []
