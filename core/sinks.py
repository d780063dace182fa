"""Text a user gives that capslot puts into something another program reads: checked for
that sink before it is used, so nothing pasted out of capslot can carry more than it says.

- `check_bdf`: a PCI address for QEMU's `-device vfio-pci,host=...` (a comma or a space in
  it would add properties or arguments to the line the user pastes).
- `check_alias`: a libvirt device alias for `<qemu:device alias=...>`.

Each returns the text to use, or raises SinkError (a ValueError) with a one-line reason.
"""

from __future__ import annotations

import re


class SinkError(ValueError):
    """Text that may not go where it was meant to go (one line: what is wrong)."""


_BDF = re.compile(r"(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])")


def check_bdf(text: str) -> str:
    """A PCI address as QEMU's vfio-pci `host=` takes it: exactly `DDDD:BB:DD.F` in hex
    (domain, bus, device 00-1f, function 0-7). The short `BB:DD.F` that lspci prints is
    accepted too and given the 0000: domain. Returned in lower case (`0000:08:00.0`).
    Anything else (spaces, commas, more or fewer digits) raises SinkError."""
    m = _BDF.fullmatch(text)
    if m is None:
        raise SinkError(f"{text!r} is not a PCI address DDDD:BB:DD.F (like 0000:08:00.0)")
    domain, bus, dev, fn = m.groups()
    if int(dev, 16) > 0x1F:
        raise SinkError(f"{text!r}: device {dev} is past 1f (a PCI address is DDDD:BB:DD.F)")
    return f"{(domain or '0000').lower()}:{bus.lower()}:{dev.lower()}.{fn}"


# libvirt's rule (src/conf/domain_conf.c: USER_ALIAS_PREFIX "ua-" and USER_ALIAS_CHARS, the
# letters, digits, '_' and '-', checked in virDomainDeviceInfoParseXML through
# virDomainDeviceAliasIsUserAlias): an alias a user writes into a domain's XML is kept only
# when it starts with "ua-" and has no other characters; others are dropped and libvirt
# generates its own. The libvirt tree was too large to fetch here; the rule was checked
# against its public uses (oVirt's DomainXmlUtils.USER_ALIAS_PREFIX = "ua-", libvirt's own
# `<alias name='ua-xvda'/>` examples) and is the one libvirt documents for <alias>.
#
# <qemu:override>'s <qemu:device alias=...> matches the alias of the device as QEMU gets it,
# so a generated alias works there as well as a user one: `hostdevN` is what libvirt gives
# the Nth <hostdev> (capslot's default, hostdev0). So both are accepted, and nothing else:
# a name that is neither can never match a device, and no character of either needs escaping
# in XML (no '--' can end a comment, no quote can end an attribute).
_ALIAS = re.compile(r"ua-[A-Za-z0-9_-]+|hostdev[0-9]+")
MAX_ALIAS = 256


def check_alias(text: str) -> str:
    """A libvirt device alias: a user alias `ua-` followed by letters, digits, '_' or '-',
    or a generated hostdev alias `hostdevN`. Anything else raises SinkError."""
    if len(text) > MAX_ALIAS or _ALIAS.fullmatch(text) is None:
        raise SinkError(f"{text[:60]!r} is not a libvirt hostdev alias: a user alias is 'ua-' "
                        "and letters, digits, '_' or '-' (like ua-gpu0), or libvirt's own "
                        "hostdevN (like hostdev0)")
    return text
