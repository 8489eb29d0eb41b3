"""glia.nn: container layers (being written)."""
__all__ = []
