"""One vocabulary of judgement (core.verdicts.Verdict): its words are the JSON contract's
(schemas/defs.v1.json), and a member is written as its word, so outputs built from it are
the bytes they were when the words were plain strings."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from capslot.core.jsontext import dumps
from capslot.core.verdicts import Verdict

DEFS = json.loads((ROOT / "schemas" / "defs.v1.json").read_text())["$defs"]


def test_severities_and_verdicts_are_the_contracts_words():
    severities = set(DEFS["finding"]["properties"]["severity"]["enum"])
    verdicts = set(DEFS["placement"]["properties"]["verdict"]["enum"])
    assert {str(v) for v in Verdict} == severities | verdicts
    assert all(Verdict(word) == word for word in severities | verdicts)


def test_a_member_is_written_as_its_word():
    obj = {"verdict": Verdict.COLLISION, "findings": [{"severity": Verdict.INFO}]}
    plain = {"verdict": "collision", "findings": [{"severity": "info"}]}
    assert json.dumps(obj, indent=1) == json.dumps(plain, indent=1)
    assert dumps(obj) == dumps(plain)
    assert f"{Verdict.WARNING}: x" == "warning: x"
