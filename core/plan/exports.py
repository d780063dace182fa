"""A plan's exports: QEMU's property, its command line, libvirt's XML, lspci text and the
bytes (the writers are core.export's). The policy decides first: a refused placement is never
exported. A room of `Plan` (core.plan.model)."""

from __future__ import annotations

from .errors import PlanError, Refused

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    from .model import Plan


class Exports:
    """Every export of an accepted plan (a room of `Plan`: its
    methods take the plan as `self`)."""

    def qemu_property(self: Plan, strict: bool = False) -> str | None:
        """QEMU's property for the accepted placements it has one for, at offsets its own
        insertion check accepts (`x-vpasid-cap-offset=0xff8`); None when there is none."""
        from ..placement.validate import qemu_accepts

        props = []
        for p in self.placements:
            how = self.realize(p)
            if how is None or how.property is None or not self.accepted(p, strict):
                continue
            if qemu_accepts(self.ground.layout, p.offset, p.vcap.size)[0]:
                props.append(f"{how.property}={p.offset:#x}")
        return ",".join(props) if props else None

    def export(self: Plan, fmt: str, strict: bool = False, bdf: str | None = None,
               alias: str = "hostdev0") -> bytes:
        """One export of an accepted plan. Raises Refused (exit 1) when the policy refuses a
        placement, PlanError (exit 2) when the format cannot say what was asked."""
        vmm_format = fmt in ("qemu", "libvirt", "qemu-cmdline")
        if vmm_format:  # what the format cannot say is a usage error, whatever the verdicts
            self._vmm_usage(fmt, bdf)
        lines = self.refusals(strict)
        if lines:
            raise Refused(lines)
        if vmm_format:
            return self._vmm_export(fmt, strict, bdf, alias).encode()
        if fmt == "json":
            import json  # here: only the json export writes JSON

            return (json.dumps(self.to_json(strict), indent=1) + "\n").encode()
        synth = self.synthesis
        if synth.problems:
            raise PlanError(self.device.provenance.source, "synthesis failed: "
                            + "; ".join(synth.problems))
        from .. import export as writers

        if fmt == "lspci":
            return writers.lspci_text(synth.layout.space).encode()
        if fmt == "binary":
            return writers.binary(synth.layout.space)
        raise PlanError("--format", f"unknown format {fmt!r}")

    def _vmm_usage(self: Plan, fmt: str, bdf: str | None) -> None:
        """PlanError (exit 2) when the VM configuration cannot be written as asked: not QEMU's
        guest, no capability QEMU has a property for, no host address."""
        if self.target.vmm != "qemu" or self.target.view != "guest":
            raise PlanError(f"--format {fmt}", f"this is QEMU's; the target is {self.describe()}")
        if not any((how := self.realize(p)) is not None and how.property is not None
                   for p in self.placements):
            names = ", ".join(p.vcap.name for p in self.placements)
            raise PlanError(f"--format {fmt}", f"QEMU has no property for {names} (only pasid: "
                            "x-vpasid-cap-offset); use --format lspci, binary or json for a "
                            "custom VMM")
        if fmt != "qemu":
            self._host_address(fmt, bdf)

    def _vmm_export(self: Plan, fmt: str, strict: bool, bdf: str | None, alias: str) -> str:
        prop = self.qemu_property(strict)
        if prop is None:
            raise PlanError(f"--format {fmt}", "QEMU's own insertion check refuses every offset "
                            "placed: there is no property to give it")
        if fmt == "qemu":
            return prop + "\n"
        host = self._host_address(fmt, bdf)
        from ..export import vmconfig

        if fmt == "qemu-cmdline":
            return vmconfig.qemu_cmdline(self.target.arch, host, prop)
        return vmconfig.libvirt_xml(self.target.arch, host, prop, alias, self.target.describe())

    def _host_address(self: Plan, fmt: str, bdf: str | None) -> str:
        """The device's host address for the VM configuration: --bdf, else the dump's own slot
        when the dump was read on the host (inside a guest it is the guest's address)."""
        if bdf is None and self.guest_dump:
            raise PlanError("--format", f"{fmt} needs the device's host address, and this dump "
                            "was read inside a guest (its slot is the guest's): give --bdf "
                            "DDDD:BB:DD.F")
        host = bdf or self.device.provenance.slot
        if not host:
            raise PlanError("--format", f"{fmt} needs the device's host address: the dump names "
                            "none, give --bdf DDDD:BB:DD.F")
        from ..sinks import SinkError, check_bdf

        try:  # --bdf was checked when parsed; the dump's own slot is checked here
            return check_bdf(host)
        except SinkError as exc:
            raise PlanError("--bdf" if bdf else self.device.provenance.source, str(exc)) from None


