"""The device seen, the first room of a `Plan`: where its dump was read (host or guest) and
the device in each view. `Plan` has it as a base (with the device table's sizes in its own
`hardware`); `Seen` is this room alone, for `show` of the bytes (no request, no device
table, no verdict), which then never loads the placement service's other rooms."""

from __future__ import annotations

from ..capture import Captured, detect
from ..capture import forced as forced_capture
from ..layout import Layout, build
from ..record import cached_property, field, record
from ..space import ConfigSpace
from ..target import TargetSpec
from ..views import view as view_of


class Views:
    """Where the dump was read and the device in each view, from `self.hardware`,
    `self.target`, `self.peers` and `self.access` (a Plan's fields, or a Seen's)."""

    @cached_property
    def captured(self) -> Captured:
        """Where the dump was read (host or guest), with the evidence; --captured decides."""
        if self.target.captured:
            return forced_capture(self.target.captured, self.target.vmm_facts.style)
        return detect(self.hardware, self.peers)

    @property
    def guest_dump(self) -> bool:
        """The dump was read inside a guest: it already is that guest's view, and is judged as
        read (a second vfio + VMM pass, a guest of a guest, is never what the user meant)."""
        return self.captured.layer == "guest"

    @property
    def target_view(self) -> str:
        """The view verdicts are about: the target's, or `captured` for a guest-read dump."""
        return "captured" if self.guest_dump and self.target.view != "hardware" else self.target.view

    def view(self, name: str | None = None) -> Layout:
        """The device in a view (the target's when None), without virtual capabilities.
        `captured` is the dump as its guest read it."""
        name = name or self.target_view
        cache = self.__dict__.setdefault("_views", {})
        if name not in cache:
            if name == "captured":
                from ..record import replace

                cache[name] = replace(self.hardware, view="captured",
                                      profile=f"read inside a guest ({self.captured.vmm_style or 'VMM unknown'})")
            else:
                access = self.access or name == "vfio"
                cache[name] = view_of(self.hardware, name, self.target.kernel, self.target.qemu,
                                      access, self.target.vmm)
        return cache[name]


class Seen(Views, metaclass=record, slots=False):
    """One device for one target, seen and nothing more: what `Plan(device, target,
    peers=peers)` answers of `captured` and `view()`, without the placement service."""

    device: ConfigSpace
    target: TargetSpec = field(default_factory=TargetSpec)
    peers: tuple[ConfigSpace, ...] = field(default=(), compare=False, repr=False)
    access: bool = True

    @cached_property
    def hardware(self) -> Layout:
        return build(self.device)
