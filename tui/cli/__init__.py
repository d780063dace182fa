"""capslot: a terminal explorer for PCI/PCIe configuration space.

The repository keeps `core/` and `tui/` at its top (the design card); installed, they are one
package, `capslot`: `capslot.core` (bytes in, facts out), `capslot.tui` (the explorer) and
`capslot.cli` (the command line). This file is the package's top, kept small so that
`import capslot.core` costs nothing more: it only looks for the start-up bundle.

The start-up bundle (`make install` writes it: tests/installed_layout.py --bundle) holds the
compiled code of the modules the headless commands import, in one file instead of one .pyc
each: finding, opening and validating ~30 .pyc files is ~2.5 ms of a 12 ms `show --json`.
Each entry is served only while its source is the file it was compiled from (same path, size
and mtime, in ns: a .pyc checks seconds), and only to the package folder it was found in;
anything stale, missing or from another interpreter is imported the normal way. Without the
file (`pip install .`, a copied tree) nothing changes.
"""

import sys

BUNDLE_NAME = f"startup.{sys.implementation.cache_tag}.bundle"  # in this package's __pycache__
BUNDLE_FORMAT = 1  # after the magic number: the version of the index below


def _use_bundle() -> None:
    """Put the bundle's finder first on sys.meta_path, when a valid bundle is there.

    The file: the interpreter's bytecode magic number; the length of the index (4 bytes,
    little-endian); the index, the marshalled tuple (BUNDLE_FORMAT, {module name: (folder
    searched, source path, mtime_ns, size, is package, start, length)}); then each module's
    marshalled code, at `start` (counted from the end of the index) for `length` bytes. The
    file stays open (never inherited by a program run): each module's code is read when it is
    imported, so a command reads only what it imports, and a process that started before
    `make install` replaced the file still reads the bundle its index describes."""
    import marshal
    import os

    if sys.flags.optimize or not hasattr(os, "pread"):  # compiled at -O0; read by offset
        return
    external = sys.modules.get("_frozen_importlib_external")  # importlib's own, already loaded
    if external is None:
        return
    magic = external.MAGIC_NUMBER
    try:
        fd = os.open(os.path.join(__path__[0], "__pycache__", BUNDLE_NAME), os.O_RDONLY)
    except OSError:
        return
    try:
        head = os.read(fd, len(magic) + 4)
        base = len(magic) + 4 + int.from_bytes(head[len(magic):], "little")
        version, index = marshal.loads(os.read(fd, base - len(head)))
    except (OSError, EOFError, ValueError, TypeError):
        os.close(fd)
        return
    if not head.startswith(magic) or version != BUNDLE_FORMAT or type(index) is not dict:
        os.close(fd)
        return

    class Loader(external.SourceFileLoader):
        """The normal source loader of one module, its code taken from the bundle."""

        def __init__(self, fullname: str, path: str, code: tuple[int, int]) -> None:
            super().__init__(fullname, path)
            self.code: tuple[int, int] | None = code  # (where in the bundle, how long)

        def get_code(self, fullname: str):
            code, self.code = self.code, None
            if code is not None and fullname == self.name:
                try:
                    return marshal.loads(os.pread(fd, code[1], code[0]))
                except (OSError, EOFError, ValueError, TypeError):
                    pass  # a damaged bundle: the module's own file
            return super().get_code(fullname)

    # importlib works each module's .pyc path out (cache_from_source) as the module is made:
    # the same path, made here in one step (~5 us a module), unless a pycache prefix moves it
    tag = sys.implementation.cache_tag
    cached = f".{tag}.pyc" if tag and sys.pycache_prefix is None and os.sep == "/" else None

    class Finder:
        """Finds a bundled module as the path finder would (same file, same spec), when the
        bundled code is still that file's."""

        @staticmethod
        def find_spec(fullname: str, path=None, target=None):
            entry = index.get(fullname)
            if entry is None or path is None:
                return None
            try:
                folder, source, mtime_ns, size, package, start, length = entry
                if folder not in path:
                    return None  # another capslot's package: not what this bundle was made of
                st = os.stat(source)
            except (OSError, ValueError, TypeError):  # gone, or an index that is not ours
                return None
            if st.st_mtime_ns != mtime_ns or st.st_size != size:
                return None  # edited since: the normal import compiles what is there now
            spec = external.spec_from_file_location(
                fullname, source, loader=Loader(fullname, source, (base + start, length)),
                submodule_search_locations=[os.path.dirname(source)] if package else None)
            if cached is not None:  # the module's __cached__, as importlib would work it out
                folder, _, name = source.rpartition("/")
                spec.cached = f"{folder}/__pycache__/{name[:-3]}{cached}"
            return spec

    sys.meta_path.insert(0, Finder)


_use_bundle()
