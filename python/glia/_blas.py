"""Finds the OpenBLAS that the scipy-openblas32 wheel ships and hands it to the core."""
import glob
import os

from glia import _C


def load_default_blas():
    """Loads $GLIA_BLAS, else scipy-openblas32's library; Eigen stays in use if neither loads."""
    path = os.environ.get("GLIA_BLAS")
    if not path:
        try:
            import scipy_openblas32
        except ImportError:
            return False
        found = glob.glob(os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas*.so*"))
        if not found:
            return False
        path = found[0]
    return _C._load_blas(path)


def blas_name():
    """The BLAS library glia's large matrix products use ('eigen' when none is loaded)."""
    return _C._blas_name()
