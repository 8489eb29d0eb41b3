"""CUDA queries. glia builds its CUDA backend only with GLIA_CUDA=ON."""
from glia import _C


def is_available():
    """True when glia was built with CUDA and a device is present."""
    return _C.cuda_is_available()
