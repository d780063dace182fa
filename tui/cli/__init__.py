"""capslot: a terminal explorer for PCI/PCIe configuration space.

The repository keeps `core/` and `tui/` at its top (the design card); installed, they are one
package, `capslot`: `capslot.core` (bytes in, facts out), `capslot.tui` (the explorer) and
`capslot.cli` (the command line). This file is the package's top, kept small so that
`import capslot.core` costs nothing more: it only looks for the start-up bundle.

The start-up bundle (`make install` writes it: tests/installed_layout.py --bundle) holds the
compiled code of the modules the headless commands import, in one file instead of one .pyc
each: finding, opening and validating ~30 .pyc files is ~2.5 ms of a 12 ms `show --json`.
Each entry is served only while its source is the file it was compiled from (same place
under the package's folder, size and mtime, in ns: a .pyc checks seconds), and only to the
package folder it was found in; anything stale, missing or from another interpreter is
imported the normal way. It also keeps `__future__` (every module's first import), while
nothing on sys.path before the standard library holds one. Without the file (`pip install .`)
nothing changes.

The `capslot` command itself (a command line the bundle recorded: `capslot show --json`...)
also runs ahead: the package top executes, at once and in the order their bodies finished
when recorded, the modules that command imports, each made as importlib makes it; without
importlib's per-module machinery (locks, finders, spec checks: ~25K instructions a module),
`show --json` is ~1M instructions (~0.3 ms) cheaper, and ~1.4M more with the cyclic garbage
collector kept off those modules' objects (they live until the command exits). A module that
fails there is undone and left, with the rest, to the normal import.
"""

import sys

BUNDLE_NAME = f"startup.{sys.implementation.cache_tag}.bundle"  # in this package's __pycache__
BUNDLE_FORMAT = 5  # after the magic number: the version of the index below
ENTRY = 21  # bytes: one module's record in the index's table


def _use_bundle() -> None:
    """Put the bundle's finder first on sys.meta_path, when a valid bundle is there.

    The file: the interpreter's bytecode magic number; the length of the index (4 bytes,
    little-endian); the index, the marshalled tuple (BUNDLE_FORMAT, {module name: k}, table,
    {run_key(command line): (the names of the modules it runs ahead, start, length)}, {a
    top-level module from
    outside the package: its folder}); then each module's marshalled code. Module k's entry
    is the k-th ENTRY-byte record of `table`: its source's mtime_ns (8 bytes), size (4),
    whether it is a package (1), where its code starts (4, counted from the end of the index)
    and its length (4), each little-endian. A module's source is where its name puts it under
    this package's folder (`capslot.core.walk`: core/walk.py), so the index holds no paths;
    and its numbers are bytes read when the module is imported, not a tuple of ints per
    module: every start-up reads the index (a dict of path tuples was 0.29M instructions).
    The file stays open (never inherited by a program run): each module's code is read when
    it is imported, so a command reads only what it imports, and a process that started
    before `make install` replaced the file still reads the bundle its index describes."""
    import marshal
    import os

    if sys.flags.optimize or not hasattr(os, "pread"):  # compiled at -O0; read by offset
        return
    external = sys.modules.get("_frozen_importlib_external")  # importlib's own, already loaded
    if external is None:
        return
    magic, top, sep, skip = external.MAGIC_NUMBER, __path__[0], os.sep, len(__name__)
    try:
        fd = os.open(f"{top}{sep}__pycache__{sep}{BUNDLE_NAME}", os.O_RDONLY)
    except OSError:
        return
    try:
        head = os.read(fd, len(magic) + 4)
        base = len(magic) + 4 + int.from_bytes(head[len(magic):], "little")
        version, index, table, runs, outside = marshal.loads(os.read(fd, base - len(head)))
    except (OSError, EOFError, ValueError, TypeError):
        os.close(fd)
        return
    if (not head.startswith(magic) or version != BUNDLE_FORMAT or type(index) is not dict
            or type(table) is not bytes or len(table) != len(index) * ENTRY
            or type(runs) is not dict or type(outside) is not dict):
        os.close(fd)
        return
    number = int.from_bytes
    # importlib works each module's .pyc path out (cache_from_source) as the module is made:
    # the same path, made here in one step (~5 us a module), unless a pycache prefix moves it
    tag = sys.implementation.cache_tag
    cached = f".{tag}.pyc" if tag and sys.pycache_prefix is None and sep == "/" else None
    spec_of, stat = type(__spec__), os.stat  # importlib.machinery.ModuleSpec, without importing it

    class Loader(external.SourceFileLoader):
        """The normal source loader of one module, its code taken from the bundle; its
        find_spec, first on sys.meta_path, finds a bundled module as the path finder would
        (same file, same spec), when the bundled code is still that file's."""

        code: tuple[int, int] | None = None  # (where in the bundle, how long), until read

        def get_code(self, fullname: str):
            code, self.code = self.code, None
            if code is not None and fullname == self.name:
                try:
                    code = marshal.loads(os.pread(fd, code[1], code[0]))
                except (OSError, EOFError, ValueError, TypeError):
                    pass  # a damaged bundle: the module's own file
                else:
                    if code.co_filename != self.path:  # a copied tree: as importlib does a .pyc's
                        import _imp

                        _imp._fix_co_filename(code, self.path)
                    return code
            return super().get_code(fullname)

        @staticmethod
        def find_spec(fullname: str, path=None, target=None):
            k = index.get(fullname)
            if k is None:
                return None
            if path is None:  # `__future__`: every module's first line imports it
                folder, leaf = outside.get(fullname), fullname
                if type(folder) is not str or not _first_on_path(fullname, folder, stat, sep,
                                                                 external.EXTENSION_SUFFIXES):
                    return None
            else:
                folder, _, leaf = fullname.rpartition(".")
                folder = top + folder[skip:].replace(".", sep)  # "capslot.core" -> top + "/core"
                if folder not in path:
                    return None  # another capslot's package: not what this bundle was made of
            try:
                entry = table[k * ENTRY:k * ENTRY + ENTRY]
                package = entry[12]
                source = f"{folder}{sep}{leaf}{sep}__init__.py" if package else (
                    f"{folder}{sep}{leaf}.py")
                st = stat(source)
                if st.st_mtime_ns != number(entry[:8], "little") or st.st_size != number(
                        entry[8:12], "little"):
                    return None  # edited since: the normal import compiles what is there now
            except (OSError, ValueError, TypeError, IndexError):  # gone, or not our index
                return None
            loader = Loader(fullname, source)
            loader.code = (base + number(entry[13:17], "little"), number(entry[17:], "little"))
            # what spec_from_file_location makes of the same file, made directly
            spec = spec_of(fullname, loader, origin=source)
            spec.has_location = True
            if package:
                spec.submodule_search_locations = [f"{folder}{sep}{leaf}"]
            if cached is not None:  # the module's __cached__, as importlib would work it out
                spec.cached = f"{folder}/__pycache__/{leaf}{cached}" if not package else (
                    f"{folder}/{leaf}/__pycache__/__init__{cached}")
            return spec

    sys.meta_path.insert(0, Loader)
    argv = getattr(sys, "argv", None) or [""]
    if argv[0].rpartition(sep)[2] == "capslot":  # the command, not a program importing us
        run = runs.get(run_key(argv[1:]))
        if type(run) is tuple and len(run) == 3:
            import gc

            # what runs ahead is the command's modules: objects that live until it exits.
            # The cyclic collector would go over them again and again (~1.4M instructions of
            # a show --json): it is off while they are made, and they are frozen (gc.freeze:
            # never collected, never gone over) before it is on again, as it was
            enabled = gc.isenabled()
            gc.disable()
            try:
                _run_ahead(Loader.find_spec, run[0], top, skip, sep,
                           lambda start, length: marshal.loads(os.pread(fd, length, base + start)),
                           run[1:])
            finally:
                gc.freeze()
                if enabled:
                    gc.enable()


def _first_on_path(name: str, folder: str, stat, sep: str, extensions: list[str]) -> bool:
    """Whether the path finder would find top-level module `name` in `folder`: that folder
    is on sys.path and no folder before it holds anything of that name (a module, compiled
    or an extension, or a package); a zip or other file on the path before it: not known."""
    for entry in sys.path:
        if entry == folder:
            return True
        if type(entry) is not str:
            return False
        try:
            if (stat(entry or ".").st_mode & 0o170000) != 0o040000:  # not a folder: an archive
                return False
        except OSError:
            continue  # no such folder: nothing found there
        for suffix in ("", ".py", ".pyc", *extensions):
            try:
                stat(f"{entry or '.'}{sep}{name}{suffix}")
            except OSError:
                continue
            return False
    return False


def run_key(argv: list[str]) -> str:
    """Which of the bundle's recorded runs a command line imports: its command, and whether
    it writes JSON (a command's text output imports its own writer)."""
    return f"{argv[0]} --json" if argv[1:] and ("--json" in argv or "--jsonl" in argv) else (
        argv[0] if argv else "")


def _run_ahead(find_spec, names: tuple[str, ...], top: str, skip: int, sep: str, read,
               where: tuple[int, int]) -> None:
    """Execute the bundled modules `names`, in that order (a module before what imports it),
    each as importlib would: made, its attributes set, in sys.modules, its body run, bound on
    its parent. A package whose module runs after its own (a parent finishes after the child
    it imports) is made first and put in sys.modules, its body run at its turn, as it is
    during the normal import. Nothing runs unless every module is the bundle's (not edited);
    a module that raises is undone, with the packages not yet run and what hangs off them,
    and the rest is left to the normal import.

    The run's code is one marshalled tuple, the modules' code in `names`' order, read by
    `read(*where)`: one unmarshalling interns each name once for the whole run, where one per
    module interns again every name the modules share (~1.2M instructions of a show --json).
    It is the same code as the modules' own entries (compiled once when the bundle was
    written); unreadable, each module's own entry is read instead."""
    modules = sys.modules
    specs = {}
    for name in names:
        if type(name) is not str or not name.startswith(f"{__name__}."):
            return
        spec = find_spec(name, [top + name.rpartition(".")[0][skip:].replace(".", sep)])
        if spec is None:
            return  # edited, gone: the normal import
        specs[name] = spec
    try:
        codes = read(*where)
    except (OSError, EOFError, ValueError, TypeError):
        codes = None
    code_type = type(_run_ahead.__code__)
    run_code = dict(zip(names, codes, strict=True)) if (
        type(codes) is tuple and len(codes) == len(names)
        and all(type(code) is code_type for code in codes)) else {}  # else: each module's entry
    made = type(sys)
    waiting: list[str] = []  # packages made, in sys.modules, their body not run yet
    for name in names:
        if name in modules and name not in waiting:
            continue  # imported already (by a module run before it)
        chain = [name]
        while chain[-1].rpartition(".")[0] not in modules:
            chain.append(chain[-1].rpartition(".")[0])
            if chain[-1] not in specs:  # a parent the run does not hold: the normal import
                _undo(waiting)
                return
        for new in reversed(chain):
            if new in modules:
                continue
            spec = specs[new]
            module = made(new)  # importlib's _init_module_attrs, in its order
            module.__loader__ = spec.loader
            module.__package__ = spec.parent
            module.__spec__ = spec
            if spec.submodule_search_locations is not None:
                module.__path__ = spec.submodule_search_locations
            module.__file__ = spec.origin
            if spec.cached is not None:
                module.__cached__ = spec.cached
            modules[new] = module
            waiting.append(new)
        module, spec = modules[name], specs[name]
        # as importlib's _load_unlocked marks a module whose body runs; once it has run, the
        # import statements naming it take C's fast path (without the attribute, each of them
        # would raise and drop an AttributeError: ~0.4M instructions a show --json)
        spec._initializing = True
        try:
            code = run_code.get(name) or spec.loader.get_code(name)
            if code.co_filename != spec.origin:  # a copied tree: as importlib does a .pyc's
                import _imp

                _imp._fix_co_filename(code, spec.origin)
            exec(code, module.__dict__)  # noqa: S102 - the module's own code
        except Exception:
            modules.pop(name, None)
            _undo(waiting)
            return
        finally:
            spec._initializing = False
        waiting.remove(name)
        modules[name] = modules.pop(name)  # last in sys.modules, as importlib leaves it
        parent, _, child = name.rpartition(".")
        setattr(modules[parent], child, module)
    _undo(waiting)  # none: a run holds each package it makes


def _undo(waiting: list[str]) -> None:
    """Take out of sys.modules the packages made whose body has not run, and every module
    under them (bound on a package object that no import will see again)."""
    for package in waiting:
        sys.modules.pop(package, None)
        below = f"{package}."
        for name in [name for name in sys.modules if name.startswith(below)]:
            del sys.modules[name]


_use_bundle()
