"""A live device: `/sys/bus/pci/devices/<BDF>/config`, opened read-only.

capslot never writes to hardware: the file is opened with O_RDONLY and only read. An
unprivileged read returns the first 64 bytes (the kernel's rule), so the rest of the
space is reported unavailable rather than guessed. `CAPSLOT_SYSFS_ROOT` replaces `/sys`
(tests point it at a fake tree).
"""

from __future__ import annotations

import os
import stat

from .inputs import read_fd
from ..space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance, normalize_slot


def config_path(slot: str) -> str:
    root = os.environ.get("CAPSLOT_SYSFS_ROOT", "/sys")
    return os.path.join(root, "bus", "pci", "devices", slot, "config")


def read(bdf: str) -> ConfigSpace:
    source = f"sysfs:{bdf}"
    slot = normalize_slot(bdf)
    if slot is None:
        raise DumpError(source, f"{bdf!r} is not a PCI address like 0000:01:00.0")
    path = config_path(slot)
    try:
        # O_NONBLOCK: a config file is a regular file; anything else (a FIFO in a fake
        # tree) must not block the open, and is refused below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise DumpError(source, f"no such device ({path})") from None
    except OSError as exc:
        raise DumpError(source, f"cannot open {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DumpError(source, f"{path} is not a config file (not a regular file)")
    try:
        raw, error = read_fd(fd, CONFIG_SIZE)
    finally:
        os.close(fd)
    if error is not None and not raw:
        raise DumpError(source, f"read failed: {error.strerror} (device removed?)")
    # the device went away mid-read: keep what was read; the layout reports the rest
    if not raw:
        raise DumpError(source, "the device returned no config bytes (removed?)")
    return ConfigSpace.from_prefix(raw, Provenance(source, "sysfs", None, slot, None))
