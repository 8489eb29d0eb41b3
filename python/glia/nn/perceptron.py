"""glia.nn: perceptron layers (being written)."""
__all__ = []
