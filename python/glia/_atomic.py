"""Atomic file writes: a crash or an exception never leaves a partial file behind."""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Yields a file object for a temporary file next to `path`; on success the data is
    flushed to disk and renamed over `path`, else the temporary file is removed. The new
    file gets the usual permissions (0666 less the umask), not mkstemp's private 0600."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory):
    """Makes the rename itself durable; not every platform can open a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the data itself is synced
    finally:
        os.close(fd)
