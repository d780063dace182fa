"""The JSON contract lives in schemas/: every --json output of every sample dump validates
against its versioned schema (show, survey records, check/place results and plan files), and
the schemas themselves are valid JSON Schema (2020-12)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import ROOT, sample_dumps
from tui.cli import main

SCHEMAS = {p.name: json.loads(p.read_text()) for p in (ROOT / "schemas").glob("*.json")}
DUMPS = sample_dumps()


def validator(name: str) -> Draft202012Validator:
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, out.getvalue()


def errors(v: Draft202012Validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)][:3]


def test_every_schema_is_valid_and_versioned():
    assert set(SCHEMAS) == {"show.v1.json", "survey-record.v1.json", "placement.v1.json"}
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(name) and ".v1." in name


@pytest.mark.parametrize("view", ["hardware", "vfio", "guest"])
def test_show_json_of_every_sample_dump(view):
    v = validator("show.v1.json")
    for path in DUMPS:
        code, out = run("show", str(path), "--json", "--view", view, "--no-user-quirks")
        assert code == 0, path
        assert not errors(v, json.loads(out)), (path.name, errors(v, json.loads(out)))


def test_show_json_with_placements_and_host_layout():
    v = validator("show.v1.json")
    for path in DUMPS[::7]:
        code, out = run("show", str(path), "--json", "--add", "pasid@0xff8", "--host-layout",
                        "--no-user-quirks")
        doc = json.loads(out)
        assert doc["devices"][0]["placements"] and not errors(v, doc), path.name


def test_survey_records_of_every_sample_dump():
    v = validator("survey-record.v1.json")
    code, out = run("survey", str(ROOT / "sample_dumps"), "--jsonl", "--no-user-quirks")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) >= len(DUMPS)
    for r in records:
        assert not errors(v, r), (r.get("source"), errors(v, r))


def test_an_error_record_validates(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("00: zz\n")
    code, out = run("survey", str(bad), "--jsonl")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["error"] and not errors(validator("survey-record.v1.json"), record)


def test_check_place_and_export_json_of_every_sample_dump(tmp_path):
    v = validator("placement.v1.json")
    for path in DUMPS:
        for args in (("check", "--add", "pasid@0xff8", "--add", "ats@0xf00"),
                     ("place", "--add", "pasid", "--add", "pri")):
            code, out = run(args[0], str(path), *args[1:], "--json", "--no-user-quirks")
            assert not errors(v, json.loads(out)), (path.name, args[0], errors(v, json.loads(out)))
        code, out = run("export", str(path), "--add", "pasid", "--format", "json", "--no-user-quirks")
        if code == 0:
            assert not errors(v, json.loads(out)), path.name


def test_plan_files_validate(tmp_path):
    from core.placement import parse_vcap
    from core.sources import load
    from tui.session import Session

    plan = tmp_path / "plan.json"
    s = Session(load(str(DUMPS[0])), plan_path=str(plan))
    s.auto(parse_vcap("pasid"))
    doc = json.loads(plan.read_text())
    assert doc["plan_version"] == 1 and not errors(validator("placement.v1.json"), doc)


def test_the_readme_links_the_schemas():
    readme = (ROOT / "README.md").read_text()
    for name in SCHEMAS:
        assert f"schemas/{name}" in readme


def test_a_schema_catches_a_broken_output():
    """The schemas are not vacuous: a renamed key or a bad region kind fails them."""
    v = validator("show.v1.json")
    code, out = run("show", str(DUMPS[0]), "--json")
    doc = json.loads(out)
    doc["devices"][0]["regions"][0]["kind"] = "free"
    assert errors(v, doc)
    doc = json.loads(out)
    del doc["devices"][0]["capabilities"][0]["size_certainty"]
    assert errors(v, doc)
    assert Path(SCHEMAS["placement.v1.json"]["$id"]).name == "placement.v1.json"
