from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client


def test_it_generates_a_valid_openapi_schema_without_warnings(tmp_path: Any) -> None:
    """drf-spectacular validates the schema against the OpenAPI 3 spec; a
    warning (an unnamed enum, an untyped field) fails the test."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    for path in ("/api/transfers/", "/api/inquiries/{inquiry_id}/decline/", "/api/events/"):
        assert f"{path}:" in text


@pytest.mark.django_db
def test_it_serves_the_schema_and_its_docs_page(clients: dict[str, Client]) -> None:
    schema = clients["crew"].get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Kakehashi API"
    docs = clients["crew"].get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
