"""`capslot survey`: every device of every file, as streamed records, quirk suggestions or a
summary. The analysis (and its process pool) is core.surveypool's; here the command line,
the output, the progress bar and the signals."""

from __future__ import annotations

import os
import sys

from capslot.arguments import OUTPUT_HELP, add_table
from capslot.common import EXIT_BAD_INPUT, EXIT_OK, fail, new_console, rendered
from capslot.core.text import printable

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def _survey_signals():
    """A context in which SIGTERM or SIGHUP leaves the with block at once (its finally
    clauses clean up) and ends there: it yields a list that then holds the signal's
    number. From the first signal on both are ignored, so the clean-up runs to its end;
    the old handlers are back after."""
    import contextlib
    import signal
    import threading

    class Stopped(BaseException):
        pass

    @contextlib.contextmanager
    def handlers():
        came: list[int] = []
        if threading.current_thread() is not threading.main_thread():
            yield came  # only the main thread may set handlers (capslot's own is the main one)
            return
        wanted = (signal.SIGTERM, signal.SIGHUP)

        def stop(signum, frame):
            for sig in wanted:
                signal.signal(sig, signal.SIG_IGN)
            came.append(signum)
            raise Stopped

        before = {sig: signal.signal(sig, stop) for sig in wanted}
        try:
            yield came
        except Stopped:
            pass  # the block's own finally clauses have removed what it made
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, wanted)  # no signal between the two
            for sig, old in before.items():
                signal.signal(sig, old)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, wanted)

    return handlers()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _survey_jobs(text: str) -> int:
    """--jobs: 1 to four per core; more would only fight over the cores."""
    import argparse

    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    cores = _cores()
    if not 1 <= jobs <= 4 * cores:
        raise argparse.ArgumentTypeError(f"{jobs} is not between 1 and {4 * cores} "
                                         f"(four per core; this machine has {cores})")
    return jobs


def _survey_size(path) -> int:
    try:
        return os.path.getsize(path) if isinstance(path, str) and path != "-" and os.path.isfile(path) else 0
    except OSError:
        return 0


def cmd_survey(args: argparse.Namespace) -> int:
    import json
    import signal

    from capslot.core.survey import QuirkEvidence, Summary, blocks, failure_lines, suggest_toml, walk_paths
    from capslot.core.surveypool import analysed

    if args.jobs is None:  # one process: with the cache by deciding bytes (core.recordcache)
        args.jobs = 1      # workers save no wall time on a fleet, and cost CPU and memory
    paths = list(walk_paths(args.paths))
    total = sum(_survey_size(p) for p in paths)
    progress = _progress(total) if sys.stderr.isatty() and total > (8 << 20) else None
    summary = Summary()
    evidence: dict = {}
    read_bytes = 0

    def block_iter():
        nonlocal read_bytes
        for path in paths:
            for block in blocks(path):
                if not isinstance(block, dict):
                    read_bytes += len(block.data)
                    if progress is not None:
                        progress[0].update(progress[1], completed=read_bytes)
                yield block

    sink = None  # core.atomic.Output for -o; standard output otherwise
    results = None
    to_file = bool(args.output)

    def write(text: str) -> None:
        if sink is not None:
            sink.write(text.encode("utf-8"))
        else:
            sys.stdout.write(text)

    with _survey_signals() as stopped:
        try:
            # the output (a temporary file beside a regular one) comes with the signals
            # held, so that a SIGTERM never falls between making it and knowing its name
            held = {signal.SIGTERM, signal.SIGHUP}
            signal.pthread_sigmask(signal.SIG_BLOCK, held)
            try:
                sink = _survey_output(args)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
            results = analysed(block_iter(), args.jobs, args.quirks, not args.no_user_quirks,
                               args.suggest_quirks, say=fail)
            for result in results:
                if isinstance(result, dict):  # a file that could not be opened
                    lines, facts = [json.dumps(result, separators=(",", ":"))], \
                        [{"error": True, "message": result["error"]}]
                else:
                    lines, facts = result
                if args.jsonl:
                    write("\n".join(lines) + "\n")
                for f in facts:
                    summary.add(f)
                    if args.suggest_quirks and not f.get("error"):
                        evidence.setdefault((f["vendor"], f["device"]), QuirkEvidence()).add(f)
            if args.suggest_quirks:
                write(suggest_toml(evidence, summary))
            elif not args.jsonl and to_file:  # -o FILE holds what would be printed
                write(_survey_summary_text(summary))
            if sink is not None and summary.devices:  # nothing read: the file stays as it was
                sink.commit()
        finally:  # (a second signal is ignored from the first on: this always runs to the end)
            if results is not None:
                results.close()  # a pool stops here, before the temporary file goes
            if progress is not None:
                progress[0].stop()
            if sink is not None:  # interrupted or failed: the old file stays, the partial one goes
                sink.discard()
    if stopped:
        return 128 + stopped[0]  # as a shell reports a process ended by the signal
    if not args.jsonl and not args.suggest_quirks and not to_file:
        from capslot.tui import render

        console = new_console()
        console.print(render.survey(summary))
        if summary.errors:
            console.print("could not be read:")
            for line in failure_lines(summary):
                console.print(f"  {printable(line)}", soft_wrap=True)
    if summary.devices == 0:
        first = f"; {printable(summary.failures[0])}" if summary.failures else ""
        fail(f"{' '.join(args.paths)}: no device could be read ({summary.errors} errors{first})")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _survey_summary_text(summary) -> str:
    """The summary survey prints, as plain text (for -o FILE)."""
    from capslot.core.survey import failure_lines
    from capslot.tui import render

    lines = [rendered(render.survey(summary))]
    if summary.errors:
        lines.append("could not be read:\n")
        lines.extend(f"  {printable(line)}\n" for line in failure_lines(summary))
    return "".join(lines)


def _survey_output(args: argparse.Namespace):
    """None (standard output), or the -o output (core.atomic.Output): a regular file is a
    temporary file beside it that replaces it only when complete (streamed, so memory stays
    flat however long the survey), with the umask's mode or the mode of the file it replaces."""
    if not args.output:
        return None
    from capslot.core.atomic import Output

    return Output(args.output)


def _progress(total: int):
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    # redirect_stdout=False: the records go to stdout untouched, the bar to stderr only
    bar = Progress("survey", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   console=new_console(stderr=True), transient=True, redirect_stdout=False,
                   redirect_stderr=False)
    task = bar.add_task("survey", total=total)
    bar.start()
    return bar, task


def _survey_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, directories (recursively; "
                   "their *.lspci.txt and *.md files are skipped: decoded text and notes, not dumps), or -")
    p.add_argument("--jsonl", action="store_true", help="one JSON object a line per device")
    p.add_argument("--jobs", type=_survey_jobs, default=None, metavar="N",
                   help="worker processes, 1 to four per core (default 1; the same output "
                        "whatever the number). Copies of a device model are analysed once, so on "
                        "a fleet one process is about as fast as all cores, for less CPU; all "
                        "cores pay "
                        "when most devices are different models (on 2 cores: about 3/4 of the "
                        "wall time) and cost about 3x the memory")
    p.add_argument("--suggest-quirks", action="store_true",
                   help="print device-table entries (TOML) for a human to review, with evidence")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write what would be printed (the records, suggestions or summary) to "
                        "FILE when complete: " + OUTPUT_HELP)
    add_table(p)


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "survey": (_survey_args, cmd_survey),
}
