"""capslot: a terminal explorer for PCI/PCIe configuration space.

The repository keeps `core/` and `tui/` at its top (the design card); installed, they are one
package, `capslot`: `capslot.core` (bytes in, facts out), `capslot.tui` (the explorer) and
`capslot.cli` (the command line). This file is the package's top, kept empty so that
`import capslot.core` costs nothing more.
"""
