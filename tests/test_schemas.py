"""The JSON contract lives in schemas/: every --json output of every bundled dump validates
against its versioned schema (show, explain, check/place/export and plan files, survey
records, path, diff, caps), the schemas are valid JSON Schema (2020-12) that share their
definitions through defs.v1.json, and no object takes a key it does not list: a misspelt
`offest` fails, at every nesting level of every output."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.conftest import ROOT, sample_dumps
from capslot.cli import main

SCHEMAS = {p.name: json.loads(p.read_text()) for p in (ROOT / "schemas").glob("*.json")}
# offline: every $ref resolves inside schemas/ (an unknown one raises, nothing is fetched)
REGISTRY = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in SCHEMAS.values())
DUMPS = sample_dumps()
NQ = "--no-user-quirks"
# every command with --json or --jsonl in `capslot --help`, and the schema its output follows
COMMANDS = {"show": "show.v1.json", "explain": "explain.v1.json", "check": "placement.v1.json",
            "place": "placement.v1.json", "export": "placement.v1.json",
            "survey": "survey-record.v1.json", "caps": "caps.v1.json", "diff": "diff.v1.json",
            "path": "path.v1.json", "tui": "placement.v1.json"}  # tui: its --plan files


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, out.getvalue()


def json_of(*args: str):
    code, out = run(*args)
    assert code in (0, 1), (args, code)  # 1: a refused placement still prints its verdicts
    return json.loads(out)


def errors(v: Draft202012Validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in v.iter_errors(doc)][:3]


def assert_valid(name: str, doc, what) -> None:
    found = errors(validator(name), doc)
    assert not found, (what, found)


# ---------------------------------------------------------------- the schemas themselves

def test_every_schema_is_valid_versioned_and_covers_every_json_command():
    assert set(SCHEMAS) == {"defs.v1.json", *COMMANDS.values()}
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"https://github.com/capslot/capslot/schemas/{name}"
    from capslot.cli import SUBCOMMANDS

    with_json = set()
    for command in SUBCOMMANDS:  # every command whose help offers JSON has a schema
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            main([command, "--help"])
        if re.search(r"--jsonl?\b|\bjson\b", out.getvalue()):
            with_json.add(command)
    assert with_json == set(COMMANDS)


def nodes(node, path: str = "") -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from nodes(value, f"{path}/{i}")


def test_every_object_is_closed_and_shared_definitions_live_once():
    """additionalProperties: false on every object; the one open object (the device's fields,
    which a survey record extends) is used only under unevaluatedProperties: false. And no
    definition is written twice: the others refer to defs.v1.json."""
    for name, schema in SCHEMAS.items():
        for path, node in nodes(schema):
            types = node.get("type")
            is_object = "properties" in node or types == "object" or (
                isinstance(types, list) and "object" in types)
            if path.endswith("/$defs/device_fields"):
                continue
            if is_object:
                assert (node.get("additionalProperties") is False
                        or node.get("unevaluatedProperties") is False), (name, path)
            if node.get("$ref", "").endswith("#/$defs/device_fields"):
                assert node.get("unevaluatedProperties") is False, (name, path)
    shared = set(SCHEMAS["defs.v1.json"]["$defs"])
    for name, schema in SCHEMAS.items():
        if name != "defs.v1.json":
            assert not shared & set(schema.get("$defs", {})), name


# ---------------------------------------------------------------- every output validates

@pytest.mark.parametrize("view", ["hardware", "vfio", "guest"])
def test_show_json_of_every_sample_dump(view):
    for path in DUMPS:
        assert_valid("show.v1.json", json_of("show", str(path), "--json", "--view", view, NQ),
                     path.name)


def test_show_json_with_placements_and_host_layout():
    for path in DUMPS:
        doc = json_of("show", str(path), "--json", "--add", "pasid@0xff8", "--host-layout", NQ)
        assert doc["devices"][0]["placements"], path.name
        assert_valid("show.v1.json", doc, path.name)


def test_explain_json_of_every_sample_dump():
    for path in DUMPS:
        for args in (("0x100",), ("0xffa", "--add", "pasid@0xff8"), ("0x6",)):
            assert_valid("explain.v1.json", json_of("explain", str(path), *args, "--json", NQ),
                         (path.name, args))


def test_check_place_and_export_json_of_every_sample_dump():
    for path in DUMPS:
        for args in (("check", "--add", "pasid@0xff8", "--add", "ats@0xf00"),
                     ("place", "--add", "pasid", "--add", "pri")):
            assert_valid("placement.v1.json", json_of(args[0], str(path), *args[1:], "--json", NQ),
                         (path.name, args[0]))
        code, out = run("export", str(path), "--add", "pasid", "--format", "json", NQ)
        if code == 0:
            assert_valid("placement.v1.json", json.loads(out), path.name)


def test_a_matching_device_table_entry_validates(tmp_path):
    table = tmp_path / "quirks.toml"
    table.write_text('[[device]]\nvendor = 0x8086\ndevice = 0x10c9\nname = "82576"\n'
                     'source = "a test"\n[device.offsets]\npasid = 0xe00\n')
    doc = json_of("place", str(ROOT / "sample_dumps/intel_82576_nic_10c9_sriov.txt"), "--add",
                  "pasid", "--json", "--quirks", str(table), NQ)
    assert doc["quirk"]["name"] == "82576"
    assert_valid("placement.v1.json", doc, "quirk")


def test_path_json_of_every_sample_dump():
    for path in DUMPS:
        assert_valid("path.v1.json", json_of("path", str(path), "--json"), path.name)


def test_diff_json_of_every_sample_dump():
    for n, path in enumerate(DUMPS):
        other = DUMPS[n - 1]
        assert_valid("diff.v1.json", json_of("diff", str(path), str(other), "--json", NQ),
                     (path.name, other.name))
        doc = json_of("diff", str(path), str(path), "--add", "pasid@0xff8", "--json", NQ)
        assert_valid("diff.v1.json", doc, path.name)


def test_caps_json():
    for args in ((), ("--virtual",), ("aer",), ("0x10",), ("ext:0x1b",)):
        assert_valid("caps.v1.json", json_of("caps", *args, "--json"), args)


def test_survey_records_of_every_sample_dump():
    code, out = run("survey", str(ROOT / "sample_dumps"), "--jsonl", "--jobs", "1", NQ)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) >= len(DUMPS)
    for r in records:
        assert_valid("survey-record.v1.json", r, r.get("source"))


def test_an_error_record_validates(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("00: zz\n")
    code, out = run("survey", str(bad), "--jsonl")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["error"]
    assert_valid("survey-record.v1.json", record, "error record")


def test_plan_files_validate(tmp_path):
    from capslot.core.placement import parse_vcap
    from capslot.core.sources import load
    from capslot.tui.session import Session

    plan = tmp_path / "plan.json"
    s = Session(load(str(DUMPS[0])), plan_path=str(plan))
    s.auto(parse_vcap("pasid"))
    doc = json.loads(plan.read_text())
    assert doc["plan_version"] == 1
    assert_valid("placement.v1.json", doc, "plan file")


@pytest.mark.skipif(shutil.which("lspci") is None, reason="lspci (pciutils) is not installed")
def test_a_whole_machine_dump_with_its_paths_validates(tmp_path):
    """`lspci -xxxx` of a machine (pciutils writes it): show, path and survey carry each
    device's upstream path."""
    doc = json_of("show", str(whole_machine(tmp_path)), "--json")
    assert any("upstream" in d for d in doc["devices"])
    assert_valid("show.v1.json", doc, "show")
    assert_valid("path.v1.json", json_of("path", str(whole_machine(tmp_path)), "--json"), "path")


@cache
def _machine_text() -> str:
    import tempfile

    from tests.test_live_host import ALL
    from tests.test_topology import whole_machine as build

    with tempfile.TemporaryDirectory() as tmp:
        return build(Path(tmp), ALL).read_text()


def whole_machine(tmp_path: Path) -> Path:
    out = tmp_path / "machine.txt"
    out.write_text(_machine_text())
    return out


# ---------------------------------------------------------------- a misspelt key fails

GUEST = str(ROOT / "sample_dumps/virtio_net_1000_256_VIRTUAL.txt")
SOME = [str(p) for p in DUMPS[::8]] + [GUEST]
ADD = ("--add", "pasid@0xff8", "--add", "ats@0xf00")


def jsonl(*args: str) -> list:
    return [json.loads(line) for line in run(*args)[1].splitlines()]


def with_machine(args: tuple[str, ...], read=json_of) -> list:
    """The output for a whole machine's dump (pciutils writes it; none without lspci)."""
    if not shutil.which("lspci"):
        return []
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = read(args[0], str(whole_machine(Path(tmp))), *args[1:])
    return out if read is jsonl else [out]


# for each schema, real outputs that between them hold every kind of object it has
REAL_OUTPUTS = {
    "show.v1.json": lambda: [json_of("show", d, "--json", *ADD, "--host-layout", NQ)
                             for d in SOME] + with_machine(("show", "--json")),
    "explain.v1.json": lambda: [json_of("explain", d, "0xffa", *ADD, "--json", NQ) for d in SOME],
    "placement.v1.json": lambda: [json_of(c, d, *args, "--json", NQ) for d in SOME for c, args in
                                  (("place", ("--add", "pasid", "--add", "pri")), ("check", ADD))],
    "survey-record.v1.json": lambda: jsonl("survey", *SOME, "--jsonl", "--jobs", "1", NQ)
    + with_machine(("survey", "--jsonl", "--jobs", "1"), jsonl),
    "path.v1.json": lambda: [json_of("path", d, "--json") for d in SOME]
    + with_machine(("path", "--json")),
    "diff.v1.json": lambda: [json_of("diff", SOME[0], GUEST, "--json", NQ)],
    "caps.v1.json": lambda: [json_of("caps", "aer", "--json"), json_of("caps", "--virtual", "--json")],
}


def object_places(doc, path: tuple = ()) -> Iterator[tuple[tuple, tuple]]:
    """(the path to every object in doc, the same path with list indexes as '*')."""
    if isinstance(doc, dict):
        yield path, tuple("*" if isinstance(p, int) else p for p in path)
        for key, value in doc.items():
            yield from object_places(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from object_places(value, (*path, i))


def misspelt(key: str) -> str:
    """offset -> offest: the last two letters swapped (a doubled last letter gets one more)."""
    return key[:-2] + key[-1] + key[-2] if len(key) > 1 and key[-1] != key[-2] else key + key[-1]


def get(doc, path: tuple):
    for p in path:
        doc = doc[p]
    return doc


@pytest.mark.parametrize("name", sorted(set(COMMANDS.values())))
def test_a_misspelt_key_fails_every_schema(name):
    """Every kind of object a real output holds (each nesting level, each list's items):
    each of its keys misspelt, one at a time, fails the schema (an optional key as much as
    a required one)."""
    outputs = REAL_OUTPUTS[name]()
    seen: set[tuple] = set()
    tried = 0
    for doc in outputs:
        assert_valid(name, doc, "the real output")
        for path, shape in object_places(doc):
            obj = get(doc, path)
            if shape in seen or not obj:
                continue
            seen.add(shape)
            for key in list(obj):
                broken = copy.deepcopy(doc)
                target = get(broken, path)
                target[misspelt(key)] = target.pop(key)
                assert errors(validator(name), broken), (name, path, key, misspelt(key))
                tried += 1
    assert max(len(s) for s in seen) >= 2 and tried > len(seen)  # nested objects were tried


def test_the_docs_link_every_schema():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "".join(p.read_text() for p in docs if p.exists())
    for name in SCHEMAS:
        assert f"(schemas/{name})" in text or f"(../schemas/{name})" in text, name
