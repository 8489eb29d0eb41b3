"""glia.nn: loss layers (being written)."""
__all__ = []
