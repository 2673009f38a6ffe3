"""Types shared by the OCR pipeline, the record services and the command.

Coordinates: a ``Box`` is ``(x, y, w, h)`` in pixels of the photo as the user
sees it (after EXIF orientation), so the verification view can crop the photo
that was uploaded without keeping derived images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Box = tuple[int, int, int, int]

# Field paths of the structured record (sheetgen's record.schema.json). Lists
# (diagnoses, medications, allergies) are one field each: a person confirms
# the list as a whole against the photo.
FIELD_PATHS: tuple[str, ...] = (
    "written_date",
    "name",
    "name_kana",
    "sex",
    "birth_date",
    "age",
    "postal_code",
    "address",
    "facility_name",
    "facility_phone",
    "primary_physician",
    "clinic_name",
    "diagnoses",
    "current_illness",
    "medications",
    "allergies",
    "vitals.temperature_c",
    "vitals.bp_systolic",
    "vitals.bp_diastolic",
    "vitals.heart_rate",
    "vitals.spo2",
    "vitals.resp_rate",
    "vitals.jcs",
    "vitals.gcs",
    "care_level",
    "dementia_level",
    "adl",
    "dnar",
    "advance_directive",
    "key_person.name",
    "key_person.relation",
    "key_person.phone",
    "insurance_number",
    "onset_time",
    "notes",
)
LIST_FIELDS = frozenset({"diagnoses", "medications", "allergies"})


def empty_value(path: str) -> Any:
    return [] if path in LIST_FIELDS else None


@dataclass
class FieldValue:
    """One extracted field: its canonical value, how sure we are, where it is."""

    value: Any
    confidence: float  # 0..1, calibrated: >= 0.9 means "right at least 98 % of the time"
    box: Box | None = None


@dataclass
class Quality:
    """Whether the photo is good enough; hints are shown to the phone user."""

    ok: bool = True
    # Machine codes: "too_small", "blurred", "page_not_found", "too_dark" (the
    # paper too dim: preprocess.DARK_PAPER),
    # "illegible" (the text itself read as noise: pipeline.judge_legibility).
    problems: list[str] = field(default_factory=list)
    blur: float | None = None  # preprocess.sharpness() of the flattened page
    page_found: bool = False


@dataclass
class PageResult:
    """What OCR made of one photo."""

    fields: dict[str, FieldValue]
    quality: Quality
    photo_size: tuple[int, int]  # (width, height) after EXIF orientation
    text: str = ""  # the recognised text, in reading order
    timing_ms: int = 0
    # How it was read: "table" (cell by cell), "text" (as lines) or "form"
    # (cells with options to circle: filled in by hand).
    layout: str = ""
    # Uncalibrated scores (None: not found), kept to fit the calibration.
    raw_scores: dict[str, float | None] = field(default_factory=dict)
    # Fields the second reading confirmed (confirm.py), calibrated apart.
    agreed: list[str] = field(default_factory=list)
    page_conf: float = 0.0  # median OCR confidence of the page's words

    def record(self) -> dict[str, Any]:
        """The record as nested JSON (sheetgen's record.schema.json)."""
        return record_from_flat({p: f.value for p, f in self.fields.items()})

    def to_json(self) -> dict[str, Any]:
        conf = {p: round(f.confidence, 3) for p, f in self.fields.items()}
        # The scorer also rates (name, dose) pairs; they are as sure as the list.
        conf["medications_dose"] = conf.get("medications", 0.0)
        return {
            "record": self.record(),
            "confidence": conf,
            "boxes": {p: list(f.box) for p, f in self.fields.items() if f.box},
            "timing_ms": self.timing_ms,
            "layout": self.layout,
            "page_conf": self.page_conf,
            "raw_scores": {
                p: (None if v is None else round(v, 4)) for p, v in self.raw_scores.items()
            },
            "agreed": self.agreed,
            "quality": {
                "ok": self.quality.ok,
                "problems": self.quality.problems,
                "page_found": self.quality.page_found,
            },
        }


def record_from_flat(flat: dict[str, Any]) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for path in FIELD_PATHS:
        value = flat.get(path, empty_value(path))
        head, _, tail = path.partition(".")
        if tail:
            rec.setdefault(head, {})[tail] = value
        else:
            rec[head] = value
    return rec


def flat_from_record(rec: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for path in FIELD_PATHS:
        head, _, tail = path.partition(".")
        v = rec.get(head)
        if tail:
            v = v.get(tail) if isinstance(v, dict) else None
        flat[path] = v if v is not None else empty_value(path)
    return flat
