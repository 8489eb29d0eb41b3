"""glia.nn: linear layers (being written)."""
__all__ = []
