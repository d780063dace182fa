"""The placement use case as one service, `Plan`, in rooms: the service and its data
(`model`), the device seen (`seen`: where it was read, its views), the acceptance policy and
the one auto rule (`policy`), its answers in words (`words`), its JSON document (`json`), its
exports (`exports`; the writers are core.export's) and `compare` in `diff` (`capslot diff`:
two dumps of one device, through each view).

Each name is imported from its room when first asked for: `show --json` of the bytes needs
`seen` alone, and never pays for the service's other rooms."""

from ..elsewhere import elsewhere

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .diff import compare
    from .errors import MAX_PLACEMENTS, Refused
    from .model import Plan
    from .policy import layout_accepted, standing
    from .words import verdict_lines

_ROOMS = {"MAX_PLACEMENTS": "errors", "Refused": "errors", "Plan": "model",
          "layout_accepted": "policy", "standing": "policy", "verdict_lines": "words",
          "compare": "diff"}


__getattr__ = elsewhere(globals(), _ROOMS)


def __dir__() -> list[str]:
    return sorted([*globals(), *_ROOMS])


__all__ = ["MAX_PLACEMENTS", "Plan", "Refused", "compare", "layout_accepted",
           "standing", "verdict_lines"]
