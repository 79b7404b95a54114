"""All table models, imported here so `Base.metadata` knows every table (Alembic reads it), and configured
once they are all mapped (`configure_mappers`): an object built outside a session (`base.detached`, what the
Core reads and writes hand back) has working attributes only once its mapper is configured, which the ORM
otherwise does at its first query — a fresh process whose first request wrote through Core failed there."""

from sqlalchemy.orm import configure_mappers

from storage.models.base import Base, TeamScoped, UTCDateTime, utcnow
from storage.models.complaints import (
    Complaint,
    ComplaintNote,
    ComplaintTag,
    CrisisAlert,
    RoundRobinCursor,
    RoutingRule,
)
from storage.models.core import AuditEvent, CompactAcceptance, ProcessedEvent
from storage.models.councils import Council, CouncilRun
from storage.models.oauth import slack_bots, slack_installations, slack_oauth_states
from storage.models.outbox import OutboxNotice
from storage.models.projects import Project, ProjectMember, ProjectNote
from storage.models.risk import RiskAssessment, RiskChecklistVersion, RiskReviewCard
from storage.models.rollups import (
    ComplaintChange,
    ComplaintDueHour,
    ComplaintNetworkHour,
    ComplaintResolvedHour,
    ComplaintResponseDay,
    ComplaintResponseHour,
    ComplaintStatusHour,
    ComplaintTagChange,
    ComplaintTagHour,
)

__all__ = [
    "AuditEvent",
    "Base",
    "CompactAcceptance",
    "Complaint",
    "ComplaintChange",
    "ComplaintDueHour",
    "ComplaintNetworkHour",
    "ComplaintNote",
    "ComplaintResolvedHour",
    "ComplaintResponseDay",
    "ComplaintResponseHour",
    "ComplaintStatusHour",
    "ComplaintTag",
    "ComplaintTagChange",
    "ComplaintTagHour",
    "Council",
    "CouncilRun",
    "CrisisAlert",
    "OutboxNotice",
    "ProcessedEvent",
    "Project",
    "ProjectMember",
    "ProjectNote",
    "RiskAssessment",
    "RiskChecklistVersion",
    "RiskReviewCard",
    "RoundRobinCursor",
    "RoutingRule",
    "TeamScoped",
    "UTCDateTime",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
    "utcnow",
]

configure_mappers()
