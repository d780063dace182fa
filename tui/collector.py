"""Python's cyclic garbage collector, held off while the explorer starts.

What is imported and built until the explorer's first frame (Textual, the registry, the
device's layout, every widget) lives as long as the process; a collection meanwhile scans
all of it to free almost nothing. One or two full collections took 30-50 ms of the first
paint (measured with gc.callbacks at 120x40). The explorer holds the collector from
`capslot tui` on (or from its own start, when run another way) and releases it once its
first frame is shown, after freezing what was built (tui/app.py)."""

from __future__ import annotations

import gc

_held = False  # disabled here, and to be enabled again here (a collector turned off by
#                someone else stays off)


def hold() -> None:
    """No cyclic collection until `release`."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """The collector runs again, if `hold` stopped it."""
    global _held
    if _held:
        _held = False
        gc.enable()
