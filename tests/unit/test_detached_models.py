"""Objects built outside a session (`storage.models.base.detached`) work in a process that has run no ORM query.

The Core writes hand such objects back (`/hero new`'s project, a batch's complaints); their attributes need
the mappers configured, which the ORM would otherwise do only at its first query.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FRESH_PROCESS = """
from storage.models import Complaint, Project, ProjectMember
from storage.models.base import detached

project = detached(Project, {"id": 7, "title": "Refund tweets", "members": [detached(ProjectMember, {"user_id": "U1"})]})
complaint = detached(Complaint, {"id": 3, "status": "new"})
print(project.id, project.title, project.members[0].user_id, complaint.id, complaint.status)
"""


def test_a_detached_object_reads_its_attributes_before_any_query() -> None:
    run = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["7", "Refund", "tweets", "U1", "3", "new"]
