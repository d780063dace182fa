"""The placement use case as one service, `Plan`, in rooms: the service and its data
(`model`), the acceptance policy and the one auto rule (`policy`), its answers in words
(`words`), its JSON document (`json`), its exports (`exports`; the writers are core.export's)
and `compare` in `diff` (`capslot diff`: two dumps of one device, through each view)."""

from .errors import MAX_PLACEMENTS, Refused
from .model import Plan
from .policy import layout_accepted, standing
from .words import verdict_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .diff import compare


def __getattr__(name: str):  # `compare` only when asked for: `show --json` never pays for it
    if name == "compare":
        from .diff import compare

        return compare
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MAX_PLACEMENTS", "Plan", "Refused", "compare", "layout_accepted",
           "standing", "verdict_lines"]
