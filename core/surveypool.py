"""The survey's analysis of a stream of blocks (core.survey.blocks): in one process, or in a
pool of worker processes with an ordered window, so that `--jobs N` gives, in input order,
exactly what one process gives, while the reader never runs more than a bounded number of
blocks ahead of the writer.

Each result is what core.survey.Analyzer.block_lines gives for a block, `(lines, facts)`; a
file that could not be opened comes through as its error dict, in its place.
"""

from __future__ import annotations

import signal
from collections import deque

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from concurrent.futures import Future

    from .survey import Analyzer, Block

WINDOW_PER_JOB = 2  # blocks queued per worker ahead of the one written: enough to keep each busy

_ANALYZER: Analyzer | None = None  # this process's analyser (a worker's, or the parent's)


def _start(quirks: str | None, user: bool, evidence: bool,
           say: Callable[[str], None] | None = None) -> None:
    """This process's analyser, with the device table loaded; `say` gets what the table
    ignores, one line each (the parent says it; a worker does not say it again)."""
    global _ANALYZER
    from .placement import DeviceTable
    from .survey import Analyzer

    table = DeviceTable.load(quirks, use_overlay=user)
    if say is not None:
        for line in table.warnings:
            say(line)
    _ANALYZER = Analyzer(table, evidence)


def _worker(quirks: str | None, user: bool, evidence: bool) -> None:
    """A worker's start: the parent alone answers SIGTERM, SIGHUP and Ctrl-C (it stops the
    pool and cleans up); a worker signalled with it just ends."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _ANALYZER is None:  # not inherited from the parent (a start method other than fork)
        _start(quirks, user, evidence)


def _analyse(block: Block) -> tuple[list[str], list[dict]]:
    assert _ANALYZER is not None  # set by _start in this process
    return _ANALYZER.block_lines(block)


def _done(item: dict | Future) -> dict | tuple[list[str], list[dict]]:
    return item if isinstance(item, dict) else item.result()


def analysed(blocks: Iterable[Block | dict], jobs: int, quirks: str | None = None,
             user: bool = True, evidence: bool = False,
             say: Callable[[str], None] | None = None) -> Iterator[dict | tuple[list[str], list[dict]]]:
    """Each block's `(lines, facts)` (an error dict as it came), in input order. `jobs` > 1
    runs a process pool with at most WINDOW_PER_JOB * jobs blocks queued; closing the
    generator early (a signal, an error) drops the queued blocks instead of waiting for them.
    The device table is loaded here first, so a bad one is one error, not each worker's."""
    _start(quirks, user, evidence, say)
    if jobs <= 1:
        for block in blocks:
            yield block if isinstance(block, dict) else _analyse(block)
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(jobs, initializer=_worker, initargs=(quirks, user, evidence))
    try:
        window: deque[dict | Future] = deque()
        for block in blocks:
            window.append(block if isinstance(block, dict) else pool.submit(_analyse, block))
            while len(window) > WINDOW_PER_JOB * jobs:
                yield _done(window.popleft())
        while window:
            yield _done(window.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
