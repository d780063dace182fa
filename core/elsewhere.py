"""Names a module gives that live in other modules, imported the first time one is asked for
(a module `__getattr__`, PEP 562): what a short command never uses stays out of its start-up
(issue 23), and the names stay where their users know them.

    __getattr__ = elsewhere(globals(), {"Orphan": "orphan", "parse": "lspci_lines"})

Each name is looked up in the module of that name in the same package (`orphan` beside
`layout`, or inside the package whose `__init__` says it), then kept in the module's
globals, so it is looked up once.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable


def elsewhere(namespace: dict[str, object], table: dict[str, str]) -> Callable[[str], object]:
    """The module `__getattr__` of the module whose globals are `namespace`: a name of
    `table` is taken from the module `table[name]` of the module's package."""
    module_name, package = namespace["__name__"], namespace["__package__"]

    def __getattr__(name: str) -> object:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(__import__(f"{package}.{where}", fromlist=[name]), name)
        namespace[name] = value
        return value

    return __getattr__
