"""Real filesystem faults: a small tmpfs that fills up, a read-only folder (no mocks).

Mounting needs root (or CAP_SYS_ADMIN); :func:`mount_error` says why it cannot be done here.
A folder made read-only with ``chmod`` does not stop root, so :func:`read_only_dir` uses a
read-only tmpfs when running as root and ``chmod`` otherwise::

    with small_tmpfs(4 * 2**20) as folder:      # ENOSPC once 4 MiB are written
        ...
    with read_only_dir() as folder:             # EROFS (root) / EACCES (others) on every write
        ...
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Optional


def mount_error() -> Optional[str]:
    """None when this process can mount a tmpfs, else the reason (for a skip message)."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", folder],
                               capture_output=True, text=True)
        if probe.returncode:
            return f"mount -t tmpfs failed: {probe.stderr.strip()}"
        subprocess.run(["umount", folder], check=True)
    return None


@contextlib.contextmanager
def _tmpfs(options: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mltrail-fs-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
        folder.rmdir()


@contextlib.contextmanager
def small_tmpfs(size_bytes: int) -> Iterator[Path]:
    """A fresh tmpfs of ``size_bytes`` (writes past it fail with ENOSPC), unmounted afterwards."""
    with _tmpfs(f"size={size_bytes},mode=0777") as folder:
        yield folder


def fill(folder: Path, leave_bytes: int = 0) -> Path:
    """Write a filler file until ``folder``'s filesystem has at most ``leave_bytes`` free; returns it."""
    filler = folder / "filler"
    with open(filler, "wb") as f:
        chunk = b"\0" * 65536
        try:
            while shutil.disk_usage(folder).free > leave_bytes:
                f.write(chunk[: max(min(len(chunk), shutil.disk_usage(folder).free - leave_bytes), 1)])
                f.flush()
        except OSError:
            pass
    return filler


@contextlib.contextmanager
def read_only_dir() -> Iterator[Path]:
    """An empty folder no write can go into: a read-only tmpfs as root, ``chmod 555`` otherwise."""
    if os.geteuid() == 0:
        with _tmpfs("ro,size=64k") as folder:
            yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="mltrail-ro-"))
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        folder.rmdir()
