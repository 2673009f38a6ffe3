"""`manage.py extract_sheet`: photos on disk in, one scorer-ready JSON each out.

Built against the extractor's interface (PageResult.to_json()), not its
accuracy: the shapes, the schema, the scorer, failures and the database.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from transfer.ocr.image import load_photo
from transfer.ocr.types import FIELD_PATHS

from .sheets import shared_dir

DEV_SHEETS = ("sheet_00000", "sheet_00001")
SCORED_PATHS = (*FIELD_PATHS, "medications_dose")  # the scorer's field paths


@cache
def schema() -> dict[str, Any]:
    text = (shared_dir() / "sheetgen" / "record.schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sheetgen_score", shared_dir() / "sheetgen" / "score.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- a small JSON Schema check (the subset record.schema.json uses) ------------

JSON_TYPES: dict[str, Any] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def schema_errors(value: Any, node: dict[str, Any], where: str = "$") -> list[str]:
    """type, enum, $ref, properties/required/additionalProperties, items,
    minimum/maximum, pattern and format=date; anything else in the schema
    fails loudly, so a schema change cannot be skipped silently."""
    known = {
        "$schema", "$id", "$defs", "$ref", "title", "description", "type", "enum",
        "properties", "required", "additionalProperties", "items", "minimum", "maximum",
        "pattern", "format",
    }  # fmt: skip
    assert set(node) <= known, f"{where}: unchecked schema keywords {set(node) - known}"
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return schema_errors(value, schema()["$defs"][name], where)
    errors: list[str] = []
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(JSON_TYPES[t](value) for t in types):
            return [f"{where}: {value!r} is not {types}"]
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{where}: {value!r} not in {node['enum']}")
    if isinstance(value, dict):
        props = node.get("properties", {})
        errors += [f"{where}: missing {k}" for k in node.get("required", []) if k not in value]
        if node.get("additionalProperties") is False:
            errors += [f"{where}: unexpected {k}" for k in value if k not in props]
        for key, sub in props.items():
            if key in value:
                errors += schema_errors(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            errors += schema_errors(item, node["items"], f"{where}[{i}]")
    if JSON_TYPES["number"](value):
        if "minimum" in node and value < node["minimum"]:
            errors.append(f"{where}: {value} < {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            errors.append(f"{where}: {value} > {node['maximum']}")
    if isinstance(value, str):
        if "pattern" in node and not re.search(node["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {node['pattern']}")
        if node.get("format") == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                errors.append(f"{where}: {value!r} is not an ISO date")
    return errors


def test_the_schema_check_accepts_the_ground_truth_and_catches_a_bad_record() -> None:
    """The hand check is only worth something if it passes and fails when it should."""
    truth = json.loads(
        (shared_dir() / "ocr-dev" / f"{DEV_SHEETS[0]}.json").read_text(encoding="utf-8")
    )
    assert schema_errors(truth["record"], schema()) == []

    bad = {**truth["record"], "sex": "男", "age": "82", "extra": 1}
    bad["vitals"] = {**bad["vitals"], "gcs": "E4V5"}
    del bad["name"]
    errors = schema_errors(bad, schema())
    assert len(errors) == 5, errors


# --- the command ----------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("extract_sheet", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_it_writes_a_scorer_ready_json_per_photo_of_a_directory(tmp_path: Path) -> None:
    """Given a directory with two dev-set photos, a broken photo and a text file,
    when the command runs with 2 processes, then each photo gets <stem>.json
    in the record/confidence/boxes/timing format, the broken one an all-empty
    record with its error, and score.py scores the two sheets."""
    photos = tmp_path / "in"
    photos.mkdir()
    for stem in DEV_SHEETS:
        shutil.copy(shared_dir() / "ocr-dev" / f"{stem}.jpg", photos)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    (photos / "notes.txt").write_text("not an image", encoding="utf-8")
    out_dir = tmp_path / "out"

    stdout, stderr = run(str(photos), "--out", str(out_dir), "--jobs", "2")

    assert sorted(p.name for p in out_dir.iterdir()) == [
        "broken.json",
        *(f"{stem}.json" for stem in DEV_SHEETS),
    ]
    record_keys = set(schema()["properties"])
    for stem in DEV_SHEETS:
        result = read(out_dir / f"{stem}.json")
        # The scorer's keys, plus diagnostics (how the page was read, and the
        # raw scores and second-reading agreements the calibration is fitted on).
        assert set(result) == {"record", "confidence", "boxes", "timing_ms", "quality"} | {
            "layout",
            "page_conf",
            "raw_scores",
            "agreed",
        }
        assert set(result["raw_scores"]) == set(FIELD_PATHS)
        assert set(result["agreed"]) <= set(FIELD_PATHS)
        assert set(result["record"]) == record_keys
        assert schema_errors(result["record"], schema()) == []
        assert set(result["confidence"]) == set(SCORED_PATHS)
        for path, conf in result["confidence"].items():
            assert isinstance(conf, float | int) and not isinstance(conf, bool), path
            assert 0.0 <= conf <= 1.0, (path, conf)
        height, width = load_photo((photos / f"{stem}.jpg").read_bytes()).shape[:2]
        for path, box in result["boxes"].items():
            assert path in FIELD_PATHS
            assert len(box) == 4 and all(type(v) is int for v in box), (path, box)
            x, y, w, h = box
            assert min(x, y) >= 0 and min(w, h) > 0, (path, box)
            assert x + w <= width and y + h <= height, (path, box, width, height)
        assert type(result["timing_ms"]) is int and result["timing_ms"] > 0
        assert isinstance(result["quality"]["ok"], bool)

    broken = read(out_dir / "broken.json")
    assert broken["error"]["code"] in {"unreadable", "truncated"}
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", broken["error"]["message"])
    assert schema_errors(broken["record"], schema()) == []
    assert set(broken["record"]) == record_keys
    assert all(
        v in (None, []) for k, v in broken["record"].items() if k not in ("vitals", "key_person")
    )
    assert "broken" in stderr and "warning" in stderr

    # stdout: stem, time and the number of confident fields, never a value read.
    lines = stdout.splitlines()
    for stem in DEV_SHEETS:
        assert re.search(rf"^{stem}\s+\d+ ms\s+confident \d+/{len(FIELD_PATHS)}$", stdout, re.M)
        truth = read(shared_dir() / "ocr-dev" / f"{stem}.json")["record"]
        for value in (truth["name"], truth["address"], truth["facility_name"]):
            assert value and value not in stdout
    assert "3 images, 1 failed" in lines[-1]

    scorer = load_scorer()
    gt_dir = tmp_path / "gt"
    gt_dir.mkdir()
    for stem in DEV_SHEETS:
        shutil.copy(shared_dir() / "ocr-dev" / f"{stem}.json", gt_dir)
    res = scorer.score(str(gt_dir), str(out_dir), threshold=0.9)
    assert res["samples"] == 2
    assert res["confident"]["with_confidence"] == 2
    assert not any(s["missing_pred"] for s in res["per_sample"])
    assert set(res["fields"]) == set(SCORED_PATHS)


def test_it_fails_only_when_every_photo_failed_and_still_writes_their_json(
    tmp_path: Path,
) -> None:
    (tmp_path / "cut.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "letter.png").write_bytes("患者情報".encode() * 50)
    out_dir = tmp_path / "out"

    with pytest.raises(CommandError, match="every image failed"):
        run(str(tmp_path / "cut.jpg"), str(tmp_path / "letter.png"), "--out", str(out_dir))

    assert read(out_dir / "cut.json")["error"]["code"] == "truncated"
    letter = read(out_dir / "letter.json")
    assert letter["error"]["code"] == "unreadable"
    assert letter["record"]["name"] is None and letter["record"]["diagnoses"] == []
    assert set(letter["confidence"]) == set(SCORED_PATHS)
    assert set(letter["confidence"].values()) == {0.0}


def test_it_refuses_a_missing_path_and_two_photos_with_the_same_stem(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nowhere.jpg"), "--out", str(tmp_path / "out"))

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "p.jpg").write_bytes(b"x")
    (tmp_path / "b" / "p.png").write_bytes(b"x")
    with pytest.raises(CommandError, match=r"p\.json"):
        run(str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_it_runs_without_a_database_and_draws_the_glyph_store_first(tmp_path: Path) -> None:
    """A separate process whose DATABASE_URL points nowhere: the command never
    connects. On a machine without a glyph store it draws one before reading."""
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "KAKEHASHI_GLYPH_STORE_DIR": str(tmp_path / "glyphs"),
    }
    photo = shared_dir() / "ocr-dev" / f"{DEV_SHEETS[0]}.jpg"

    done = subprocess.run(
        [sys.executable, "manage.py", "extract_sheet", str(photo), "--out", str(tmp_path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / f"{DEV_SHEETS[0]}.json").is_file()
    assert DEV_SHEETS[0] in done.stdout
    stores = list((tmp_path / "glyphs").glob("glyphs-*.npy"))
    assert len(stores) == 1 and f"drew the glyph store once for this machine: {stores[0]}" in (
        done.stdout
    )


def test_each_outcome_carries_the_peak_memory_of_the_process_that_read_it(tmp_path: Path) -> None:
    from transfer.management.commands.extract_sheet import extract_file

    not_a_photo = tmp_path / "note.jpg"
    not_a_photo.write_bytes(b"not an image")

    outcome = extract_file(str(not_a_photo))

    assert outcome.error is not None
    assert 10 < outcome.peak_rss_mb < 10_000
