"""The demo workspace of the console (and the tests): a few people with roles, a few channels."""

from __future__ import annotations

from bot.console.fake_slack import Channel, FakeSlack, User, UserGroup
from bot.manifest import BOT_SCOPES

TEAM_ID = "T0HERO"

MAYA = "U0MAYA"  # a HERO in customer care
LEO = "U0LEO"  # her teammate
INGRID = "U0INGRID"  # an IT reviewer, in @it-reviewers
SAM = "U0SAM"  # a workspace admin

USERS = [
    User(MAYA, "maya", "Maya Lind", title="Customer care, HERO", tz="Europe/Stockholm"),
    User(LEO, "leo", "Leo Park", title="Customer care", tz="Europe/London"),
    User(INGRID, "ingrid", "Ingrid Berg", title="IT security", tz="Europe/Oslo"),
    User(SAM, "sam", "Sam Ortiz", title="Operations lead", is_admin=True, tz="America/New_York"),
]

GENERAL = "C0GENERAL"
PROJECTS = "C0PROJECTS"
TRIAGE = "C0TRIAGE"
CRISIS = "C0CRISIS"
IT_REVIEW = "C0ITREVIEW"
SOCIAL_FEED = "C0SOCIAL"
CX_COUNCIL = "C0CXCOUNCIL"

CHANNELS = [
    Channel(GENERAL, "general", topic="company-wide announcements and chat"),
    Channel(PROJECTS, "hero-projects", topic="HERO projects"),
    Channel(TRIAGE, "complaints-triage", topic="social complaints nobody owns yet"),
    Channel(CRISIS, "crisis", topic="PR and crisis response"),
    Channel(IT_REVIEW, "it-review", topic="IT risk reviews"),
    Channel(SOCIAL_FEED, "social-feed", topic="posts about us, dropped in by the social-listening tool"),
    Channel(CX_COUNCIL, "cx-council", bot_is_member=False, topic="customer-experience council"),
]

IT_REVIEWERS_GROUP = "S0ITREV"
CARE_TEAM_GROUP = "S0CARE"

USERGROUPS = [
    UserGroup(IT_REVIEWERS_GROUP, "it-reviewers", "IT reviewers", [INGRID]),
    UserGroup(CARE_TEAM_GROUP, "care-team", "Customer care team", [MAYA, LEO]),
]

# What the demo workspace sets, as an operator would in the environment.
ENVIRONMENT = {
    "SLACK_BOT_TOKEN": "xoxb-console",
    "SLACK_SIGNING_SECRET": "console-signing-secret",
    "HERO_PROJECTS_CHANNEL": PROJECTS,
    "HERO_COMPLAINTS_CHANNEL": TRIAGE,
    "HERO_CRISIS_CHANNEL": CRISIS,
    "HERO_IT_REVIEW_CHANNEL": IT_REVIEW,
    "HERO_IT_REVIEWERS_GROUP": "it-reviewers",
    "HERO_ADMINS": SAM,
}


def demo_slack() -> FakeSlack:
    return FakeSlack(
        team_id=TEAM_ID,
        users=list(USERS),
        channels=[Channel(**vars(c)) for c in CHANNELS],
        usergroups=[UserGroup(g.id, g.handle, g.name, list(g.users)) for g in USERGROUPS],
        # The bot holds exactly the manifest's scopes: a call needing another fails like in Slack.
        scopes=list(BOT_SCOPES),
    )
