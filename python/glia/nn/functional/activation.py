"""glia.nn.functional: activation (being written)."""
__all__ = []
