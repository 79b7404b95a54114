"""POST /api/complaints: token, idempotency, whole-batch validation, size limits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.complaints.ingest import MAX_BODY_BYTES, MAX_ITEMS
from bot.console import demo
from storage.models import Complaint, ComplaintTag
from tests.conftest import Harness, MakeHarness

TOKEN = "ingest-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def item(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "twitter",
        "url": f"https://twitter.com/customer{n}/status/{1000 + n}",
        "text": f"Complaint number {n}: my parcel is lost",
        "author": f"@customer{n}",
        **extra,
    }


async def count(harness: Harness) -> int:
    async with harness.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(Complaint)) or 0)


async def test_a_batch_is_stored_then_answered_idempotently(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_ingest_token=TOKEN)
    batch = [
        item(1, external_id="crm-1", tags=["Refunds", "refunds", "#Lost parcel"], severity="high", region="Nordics"),
        item(2, posted_at="2026-11-20T08:30:00+01:00"),
        item(3, source="X"),
    ]
    response = await harness.post("/api/complaints", json=batch, headers=AUTH)
    assert response.status == 201
    answer = await response.json()
    assert answer["ids"] == ["COMP-1", "COMP-2", "COMP-3"]
    assert [c["status"] for c in answer["complaints"]] == ["created"] * 3
    async with harness.database.unit_of_work() as session:
        first = await session.get(Complaint, 1)
        second = await session.get(Complaint, 2)
        tags = (await session.scalars(select(ComplaintTag.tag).where(ComplaintTag.complaint_id == 1))).all()
    assert first is not None and second is not None
    assert (first.source, first.severity, first.region, first.external_id) == ("api", "high", "Nordics", "crm-1")
    assert sorted(tags) == ["lost-parcel", "refunds"]
    assert second.posted_at is not None and second.posted_at.hour == 7  # stored in UTC
    # Unowned: one triage post for the whole batch, after the answer.
    await harness.fake.wait_for(lambda: bool(harness.fake.messages.get(demo.TRIAGE)))
    assert len(harness.fake.messages[demo.TRIAGE]) == 1
    assert "COMP-1, COMP-2, COMP-3" in harness.fake.messages[demo.TRIAGE][0].text

    # The same items again (by URL, and by external ID with another URL): 200 with the existing IDs.
    again = [item(2), item(99, external_id="crm-1"), item(1)]
    response = await harness.post("/api/complaints", json=again, headers=AUTH)
    assert response.status == 200
    assert (await response.json())["ids"] == ["COMP-2", "COMP-1", "COMP-1"]
    # A mix: 201, the known one answers with its ID.
    response = await harness.post("/api/complaints", json={**item(4)}, headers=AUTH)
    assert response.status == 201 and (await response.json())["ids"] == ["COMP-4"]
    response = await harness.post("/api/complaints", json=[item(4), item(5), item(5)], headers=AUTH)
    assert response.status == 201
    assert [(c["id"], c["status"]) for c in (await response.json())["complaints"]] == [
        ("COMP-4", "existing"),
        ("COMP-5", "created"),
        ("COMP-5", "existing"),
    ]
    assert await count(harness) == 5


async def test_one_bad_item_stores_nothing_and_every_problem_is_listed(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_ingest_token=TOKEN)
    batch = [
        item(1),
        {"source": "myspace", "url": "ftp://example.com/x", "text": "hi"},
        item(3, severity="apocalyptic", posted_at="last tuesday", surprise=1),
        "not an object",
    ]
    response = await harness.post("/api/complaints", json=batch, headers=AUTH)
    assert response.status == 400
    answer = await response.json()
    problems = {(p["index"], p["field"]) for p in answer["errors"]}
    assert {(1, "source"), (1, "url"), (1, "author"), (3, None)} <= problems
    assert {(2, "severity"), (2, "posted_at"), (2, "surprise")} <= problems
    assert not any(p["index"] == 0 for p in answer["errors"])
    assert "nothing was stored" in answer["error"]
    assert await count(harness) == 0


async def test_token_size_and_shape_are_checked(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_ingest_token=TOKEN)
    response = await harness.post("/api/complaints", json=item(1))
    assert response.status == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    response = await harness.post("/api/complaints", json=item(1), headers={"Authorization": "Bearer wrong"})
    assert response.status == 401
    response = await harness.post("/api/complaints", data=b"{not json", headers=AUTH)
    assert response.status == 400 and "not valid JSON" in (await response.json())["error"]
    response = await harness.post("/api/complaints", json=[], headers=AUTH)
    assert response.status == 400
    response = await harness.post("/api/complaints", json=42, headers=AUTH)
    assert response.status == 400
    too_many = [item(n) for n in range(MAX_ITEMS + 1)]
    response = await harness.post("/api/complaints", json=too_many, headers=AUTH)
    assert response.status == 413
    too_big = json.dumps([item(1, text="x" * 9000)] * (MAX_BODY_BYTES // 9000 + 2)).encode()
    response = await harness.post("/api/complaints", data=too_big, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status == 413 and "at most" in (await response.json())["error"]
    assert await count(harness) == 0


async def test_ingestion_is_off_without_a_token(harness: Harness) -> None:
    response = await harness.post("/api/complaints", json=item(1), headers=AUTH)
    assert response.status == 404
    assert "HERO_INGEST_TOKEN" in (await response.json())["error"]


async def test_a_workspace_header_naming_another_workspace_is_refused(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_ingest_token=TOKEN)
    response = await harness.post("/api/complaints", json=item(1), headers={**AUTH, "X-Hero-Team-Id": "T0OTHER"})
    assert response.status == 400 and "T0OTHER" in (await response.json())["error"]
    response = await harness.post("/api/complaints", json=item(1), headers={**AUTH, "X-Hero-Team-Id": demo.TEAM_ID})
    assert response.status == 201
