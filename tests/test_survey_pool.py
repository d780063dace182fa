"""The survey's analysis in core (core.surveypool): a pool of workers gives, in input order,
what one process gives, and the reader stays a bounded window ahead of the results."""

from __future__ import annotations

import json

from tests.conftest import sample_dumps
from capslot.core.survey import blocks
from capslot.core.surveypool import WINDOW_PER_JOB, analysed

DUMPS = [str(p) for p in sample_dumps()[:12]]


def _blocks():
    for path in [*DUMPS, "/nonexistent/capslot-dump"]:
        yield from blocks(path)


def test_workers_answer_what_one_process_answers_in_input_order():
    one = list(analysed(_blocks(), 1, user=False))
    two = list(analysed(_blocks(), 2, user=False))
    assert two == one
    assert isinstance(one[-1], dict) and one[-1]["error"]  # the unreadable file, in its place
    sources = [json.loads(line)["source"] for item in one if not isinstance(item, dict)
               for line in item[0]]
    assert list(dict.fromkeys(sources)) == DUMPS


def test_the_reader_stays_a_window_ahead():
    read = []

    def counted():
        for block in _blocks():
            read.append(block)
            yield block

    results = analysed(counted(), 2, user=False)
    next(results)
    assert len(read) <= WINDOW_PER_JOB * 2 + 1
    results.close()
