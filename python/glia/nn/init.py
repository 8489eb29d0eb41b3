"""glia.nn.init: in-place weight initialisers (written by the nn-core task)."""
