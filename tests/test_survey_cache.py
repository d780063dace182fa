"""The survey's cache by deciding bytes: records byte-identical to an analysis of every device
afresh, on a fleet corpus and on every real dump with its bytes flipped one at a time; never
a result shared across a byte that decides something; bounded in memory.

The truth here is the uncached analysis: a byte "decides" when flipping it changes the record
an uncached run gives. The cache may ignore a byte only when it decides nothing.
"""

from __future__ import annotations

import gc
import json
import os
import random
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import fleet
from capslot.core.placement import DeviceTable
from capslot.core.recordcache import ENV_OFF, GIVE_UP_AFTER, RecordCache, confirmed, deciding_bytes
from capslot.core.space import ConfigSpace, Provenance
from capslot.core.survey import Analyzer, Block
from tests.cli import capslot

TABLE = DeviceTable.load(None, use_overlay=False)
MODELS = fleet.models()
WHERE = "0000:03:00.0"


def analyzer(cache: RecordCache | None) -> Analyzer:
    return Analyzer(TABLE, cache=cache)


def survey_lines(a: Analyzer, devices: list[tuple[fleet.Model, bytes]]) -> list[str]:
    """The survey's JSON lines of the devices, read as one lspci -xxxx file (one block)."""
    text = "".join(fleet.render(WHERE, m.name, data, m.rows) for m, data in devices)
    return a.block_lines(Block("fleet.txt", 1, text.encode(), "lspci", 0))[0]


def space(model: fleet.Model, data: bytes) -> ConfigSpace:
    return ConfigSpace(data, _available(model.rows), Provenance("x", "lspci"))


def _available(rows: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    available: list[tuple[int, int]] = []
    for r in sorted(rows):
        if available and available[-1][1] == r:
            available[-1] = (available[-1][0], r + 16)
        else:
            available.append((r, r + 16))
    return tuple(available)


def test_the_fleet_corpus_is_real_dumps_varied_and_lspci_reads_it(tmp_path):
    corpus = tmp_path / "fleet.txt"
    n = fleet.write(corpus, 2 * len(MODELS))
    devices = [b for b in corpus.read_text().split("\n\n") if b.strip()]
    assert n == len(devices) == 2 * len(MODELS)
    first, second = devices[:len(MODELS)], devices[len(MODELS):]
    # no two copies of a model are the same bytes, and nothing but the slot line is shared
    assert all(a.partition("\n")[2] != b.partition("\n")[2] for a, b in zip(first, second, strict=True))
    assert len({d.partition("\n")[0].split()[0] for d in devices}) == n  # a slot each


def test_survey_jsonl_of_the_fleet_equals_the_uncached_run_record_for_record(tmp_path):
    corpus = tmp_path / "fleet.txt"
    fleet.write(corpus, 3 * len(MODELS) + 7)
    cached = capslot("survey", "--jsonl", "--jobs", "1", str(corpus))
    fresh = capslot("survey", "--jsonl", "--jobs", "1", str(corpus), env={**os.environ, ENV_OFF: "0"})
    assert cached.code == fresh.code == 0, cached.err + fresh.err
    a, b = cached.out.splitlines(), fresh.out.splitlines()
    assert len(a) == len(b) == 3 * len(MODELS) + 7
    for x, y in zip(a, b, strict=True):
        assert x == y
    assert all(json.loads(x)["error"] is None for x in a)
    summary = capslot("survey", "--jobs", "1", str(corpus))
    assert summary.out == capslot("survey", "--jobs", "1", str(corpus),
                                  env={**os.environ, ENV_OFF: "0"}).out


def test_the_cache_answers_copies_of_a_model(tmp_path):
    """What makes the survey fast: the varied copies of the fleet share their analysis."""
    a = analyzer(RecordCache())
    rng = random.Random(5)
    copies = [(m, fleet.vary(m, 7, rng)) for m in MODELS for _ in range(3)]
    survey_lines(a, copies)
    assert a.cache.misses <= len(MODELS) and a.cache.hits >= 2 * len(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name[:40])
def test_no_byte_that_decides_is_left_out_of_the_key(model):
    """Every byte of every real dump flipped in turn: when the key stays the same (and the
    cache would keep a record for it: the analysis confirms the fields cleared), the uncached
    record stays the same too, so a cached one is right."""
    fresh = analyzer(None)
    base = fresh.record(space(model, model.data))[0]
    key, found = deciding_bytes(space(model, model.data))
    shared = confirmed(found, base["capabilities"])  # the cache may keep the original's record
    ignored, available, prov = 0, _available(model.rows), Provenance("x", "lspci")
    for pos in {p for r in model.rows for p in range(r, r + 16)}:
        for flip in (0xFF, 1 << (pos % 8)):
            data = bytearray(model.data)
            data[pos] ^= flip
            mutant = ConfigSpace(bytes(data), available, prov)
            if deciding_bytes(mutant)[0] == key:  # (one analysis a byte is enough)
                ignored += 1
                record = fresh.record(mutant)[0]
                if shared or confirmed(found, record["capabilities"]):  # either one's can be kept
                    assert record == base, f"byte {pos:#05x} ^ {flip:#04x} decides"
                break
    assert ignored  # every device has fields the key leaves out (at least the Status error bits)


def test_bytes_that_vary_in_a_fleet_are_left_out_of_the_key():
    """BARs, bus numbers, status bits and serial numbers: copies of a model share a key."""
    rng = random.Random(9)
    for m in MODELS:
        for bus in (0, 0x41, 0xFE):
            assert deciding_bytes(space(m, fleet.vary(m, bus, rng)))[0] == \
                deciding_bytes(space(m, m.data))[0], m.name


_WARM: list[Analyzer] = []


def warm() -> Analyzer:
    """An analyzer whose cache holds every real model (made once, shared by the examples)."""
    if not _WARM:
        _WARM.append(analyzer(RecordCache()))
        survey_lines(_WARM[0], [(m, m.data) for m in MODELS])
    return _WARM[0]


flips = st.lists(st.tuples(st.integers(0, 4095), st.integers(1, 255)), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(MODELS) - 1), flips, st.booleans())
def test_a_warm_cache_never_hands_a_device_another_ones_result(index, changes, varied):
    """Devices differing from a cached model in any bytes (deciding or not) get exactly the
    record an uncached run gives them."""
    model = MODELS[index]
    cached = warm()
    data = bytearray(fleet.vary(model, 3, random.Random(index)) if varied else model.data)
    for pos, xor in changes:
        data[pos] ^= xor
    device = [(model, bytes(data))]
    assert survey_lines(cached, device) == survey_lines(analyzer(None), device)


def test_the_cache_is_bounded_in_memory():
    budget = 64 << 10
    a = analyzer(RecordCache(budget))
    model = next(m for m in MODELS if len(m.rows) == 256)
    distinct = []
    for i in range(40):  # data in the gap at 0xf00: each a model of its own
        data = bytearray(model.data)
        data[0xF00:0xF02] = i.to_bytes(2, "little")
        distinct.append((model, bytes(data)))
    tracemalloc.start()
    try:
        lines = survey_lines(a, distinct)
        gc.collect()
        with_cache = tracemalloc.get_traced_memory()[0]
        held, kept = a.cache.used, len(a.cache.entries)
        a.cache = None
        gc.collect()
        without = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(lines) == 40 and held <= budget and kept < 40  # full: the oldest were dropped
    assert with_cache - without <= 2 * budget  # what the cache holds, measured
    assert lines == survey_lines(analyzer(None), distinct)  # evictions change no record


def test_cache_keeps_its_budget():
    c = RecordCache(1000)
    for i in range(100):
        c.put(i, "x", 90)
        assert c.used <= 1000
    assert len(c.entries) == 11 and c.get(99) == "x" and c.get(0) is None


def test_input_of_one_off_models_turns_the_cache_off_and_frees_it():
    """A directory of unrelated dumps: after GIVE_UP_AFTER misses with few hits, no more keys
    are made (they would only cost CPU) and the entries are freed; a fleet keeps its cache."""
    one_offs, fleet_like = RecordCache(), RecordCache()
    for i in range(GIVE_UP_AFTER):
        one_offs.put(i, "x", 10)
        assert one_offs.get(("another", i)) is None
        fleet_like.get(i % 100) or fleet_like.put(i % 100, "x", 10)
        fleet_like.get(i % 100)
    assert not one_offs.worth() and not one_offs.entries and one_offs.used == 0
    assert not one_offs.worth()  # for good
    assert fleet_like.worth() and fleet_like.entries
