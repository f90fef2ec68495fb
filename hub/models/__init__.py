"""The hub's tables, one module per subject; import them all from here."""

from hub.models.audit import AuditEntry
from hub.models.auth import ApiToken, User
from hub.models.calls import Call, CallEvent, CallLink, TimeEntry
from hub.models.directory import (
    Application,
    ApplicationMember,
    Client,
    Contact,
    Contract,
    Person,
    ServiceTarget,
)
from hub.models.docs import DocPage
from hub.models.hours import CallFeedback, HoursDecision, HoursPurchase, HoursSettings
from hub.models.pay import (
    Exam,
    HandoverSession,
    Statement,
    StatementLine,
    TariffVersion,
    TeamMeeting,
)
from hub.models.plumbing import (
    InboundEvent,
    OutboxDelivery,
    PluginState,
    ScheduledJob,
    WorkerHeartbeat,
)
from hub.models.roster import Handover, Shift, Unavailability
from hub.models.sites import Certification, SiteCheckResult, SiteCheckRun
from hub.models.sla import CallPause, Clock

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Application",
    "ApplicationMember",
    "Call",
    "CallEvent",
    "CallFeedback",
    "CallLink",
    "CallPause",
    "Certification",
    "Client",
    "Clock",
    "Contact",
    "Contract",
    "DocPage",
    "Exam",
    "Handover",
    "HandoverSession",
    "HoursDecision",
    "HoursPurchase",
    "HoursSettings",
    "InboundEvent",
    "OutboxDelivery",
    "PluginState",
    "Person",
    "ScheduledJob",
    "ServiceTarget",
    "SiteCheckResult",
    "SiteCheckRun",
    "Shift",
    "Statement",
    "StatementLine",
    "TariffVersion",
    "TeamMeeting",
    "TimeEntry",
    "Unavailability",
    "User",
    "WorkerHeartbeat",
]
