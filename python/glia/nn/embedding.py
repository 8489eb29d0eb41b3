"""glia.nn: embedding layers (being written)."""
__all__ = []
