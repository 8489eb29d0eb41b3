"""glia.nn: dropout layers (being written)."""
__all__ = []
