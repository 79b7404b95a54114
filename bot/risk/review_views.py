"""Block Kit for IT's side of a risk check: the review card, decisions, details, lists and the Home section."""

from __future__ import annotations

from typing import Any

from bot import blocks as bk
from bot.ids import Kind, format_id
from bot.networks import network_label
from bot.risk import flow
from bot.risk.conversation import STATUS_LABEL, Status, label
from bot.risk.ids import DecisionModalMeta, Ref, RiskAction
from bot.risk.review import AssessmentPage, Decision, HomeRisk, ListedAssessment, Review
from bot.risk.views import RISKY_SECTIONS_MAX, fit_lines, level_badge, more_risky, risky_text
from storage.models import Project, RiskAssessment

DECISION_BADGE = {
    Status.APPROVED: ":white_check_mark: *Approved*",
    Status.CHANGES_REQUESTED: ":memo: *Changes requested*",
    Status.REJECTED: ":no_entry: *Rejected*",
}
DECISION_TITLE = {Decision.APPROVE: "Approve", Decision.REQUEST_CHANGES: "Request changes", Decision.REJECT: "Reject"}


def project_title(project: Project) -> str:
    return f"{format_id(Kind.PROJECT, project.id)}: {bk.escape(bk.clip(project.title, 100))}"


def _value(assessment: RiskAssessment) -> str:
    return Ref(a=assessment.id).encode()


def decision_line(assessment: RiskAssessment) -> str:
    """`✅ Approved by @ingrid on <date>` and the comment, or nothing while undecided."""
    status = Status(assessment.status)
    if status not in DECISION_BADGE or assessment.decided_at is None:
        return ""
    line = f"{DECISION_BADGE[status]} by <@{assessment.decided_by}> {bk.slack_date(assessment.decided_at)}"
    if assessment.decision_comment:
        line += f"\n>{bk.escape(bk.clip(assessment.decision_comment, 2000))}"
    return line


def _revision_lines(review: Review, permalink: str | None) -> str:
    previous = review.previous
    assert previous is not None
    earlier = f"<{permalink}|{label(previous)}>" if permalink else label(previous)
    lines = [f":repeat: *Revision of {earlier}* ({STATUS_LABEL[Status(previous.status)]})"]
    if previous.decision_comment and previous.decided_by:
        lines.append(f"<@{previous.decided_by}> wrote: “{bk.escape(bk.clip(previous.decision_comment, 800))}”")
    if review.changes:
        lines.append("*Changed since then:*")
        lines += [
            f"• {bk.escape(bk.clip(c.question.text, 150))}: ~{bk.escape(bk.clip(c.before, 150))}~ → *{bk.escape(bk.clip(c.after, 150))}*"
            for c in review.changes
        ]
    else:
        lines.append("No answer changed since then.")
    return fit_lines(lines[0], lines[1:])


def _risk_blocks(review: Review, heading: str) -> list[bk.Block]:
    score = review.score
    blocks: list[bk.Block] = []
    if score.risky:
        blocks.append(bk.section(f"*{heading}* ({len(score.risky)})"))
        blocks += [bk.section(risky_text(risky)) for risky in score.risky[:RISKY_SECTIONS_MAX]]
        blocks += more_risky(score.risky)
    else:
        blocks.append(bk.section(":tada: *No risky answers.*"))
    return blocks


def _overview(review: Review) -> list[bk.Block]:
    assessment, project = review.assessment, review.project
    score = review.score
    pairs = [
        ("Risk level", level_badge(score.level)),
        (
            "Score",
            f"{flow.format_number(score.total)} (medium from {flow.format_number(review.checklist.levels.medium)}, high from {flow.format_number(review.checklist.levels.high)})",
        ),
        ("HERO", f"<@{assessment.hero_id}>"),
    ]
    if project.network:
        pairs.append(("Social channel", network_label(project.network)))
    if assessment.submitted_at is not None:
        pairs.append(("Submitted", bk.slack_date(assessment.submitted_at)))
    pairs.append(("Checklist", bk.escape(review.checklist.label)))
    blocks: list[bk.Block] = [bk.section(f"*{project_title(project)}*"), bk.fields(pairs)]
    if project.problem:
        blocks.append(bk.context(f"*The customer problem:* {bk.escape(bk.clip(project.problem, 600))}"))
    return blocks


def review_card(review: Review, *, previous_link: str | None = None) -> dict[str, Any]:
    """What IT reviewers decide on: project, HERO, level, risky answers and mitigations, and the buttons."""
    assessment = review.assessment
    name = label(assessment)
    blocks: list[bk.Block] = [bk.header(f"IT risk review: {name}"), *_overview(review)]
    if review.previous is not None:
        blocks.append(bk.section(_revision_lines(review, previous_link)))
    blocks += _risk_blocks(review, "Risky answers and the mitigations IT advises")
    others = len(flow.effective_answers(review.checklist, assessment.answers or {})) - len(review.score.risky)
    decided = decision_line(assessment)
    if decided:
        blocks.append(bk.section(decided))
    else:
        value = _value(assessment)
        blocks.append(
            bk.actions(
                bk.button("Approve", RiskAction.APPROVE, value, style="primary"),
                bk.button("Request changes…", RiskAction.REQUEST_CHANGES, value),
                bk.button("Reject…", RiskAction.REJECT, value, style="danger"),
                bk.button("All answers", RiskAction.VIEW, value),
                bk.button("Approve with a comment…", RiskAction.APPROVE_WITH_COMMENT, value),
                block_id=f"risk_review_{assessment.id}",
            )
        )
    footer = f"{others} other answer{'s' if others != 1 else ''} carry no risk: `/risk show {name}` lists them all."
    if not decided:
        footer += " Only IT reviewers can decide, and never on their own project."
    blocks.append(bk.context(footer))
    text = f"IT risk review {name} for {review.project.title}: {score_words(review)}, by <@{assessment.hero_id}>" + (
        f" — {STATUS_LABEL[Status(assessment.status)]}" if decided else ""
    )
    return bk.message(text, blocks)


def score_words(review: Review) -> str:
    score = review.score
    return f"{score.level.value} risk (score {flow.format_number(score.total)})"


def decision_modal(review: Review, decision: Decision, *, view_id: str | None = None) -> dict[str, Any]:
    required = decision.needs_comment
    prompt = {
        Decision.APPROVE: "Anything the HERO should keep in mind? (optional)",
        Decision.REQUEST_CHANGES: "What should the HERO change before you can approve?",
        Decision.REJECT: "Why can't this go ahead, and what would make it possible?",
    }[decision]
    meta = DecisionModalMeta(a=review.assessment.id, decision=decision.value, view_id=view_id)
    return bk.modal(
        RiskAction.DECISION_MODAL,
        DECISION_TITLE[decision],
        [
            bk.section(
                f"*{label(review.assessment)}* · {project_title(review.project)} · {score_words(review)} · "
                f"by <@{review.assessment.hero_id}>"
            ),
            bk.text_input("comment", prompt, multiline=True, optional=not required, max_length=2000),
            bk.context("The HERO gets your comment by direct message; it's kept with the review."),
        ],
        submit=DECISION_TITLE[decision],
        private_metadata=meta.model_dump_json(exclude_none=True),
    )


def decision_for_hero(review: Review) -> dict[str, Any]:
    """The decision as the HERO receives it, with what to do next."""
    assessment, project = review.assessment, review.project
    name, project_id = label(assessment), format_id(Kind.PROJECT, project.id)
    status = Status(assessment.status)
    said = f"\n>{bk.escape(assessment.decision_comment)}" if assessment.decision_comment else ""
    reviewer = f"<@{assessment.decided_by}>"
    blocks: list[bk.Block]
    if status == Status.APPROVED:
        text = f":white_check_mark: {reviewer} *approved {name}* for *{project_title(project)}*.{said}"
        next_step = f"You can launch when you're ready: `/hero stage {project_id} launched`."
        if review.score.risky:
            next_step += " The mitigations you planned are part of the approval: keep them in place."
        blocks = [bk.section(text), bk.context(next_step)]
    else:
        verb = "asked for changes to" if status == Status.CHANGES_REQUESTED else "rejected"
        emoji = ":memo:" if status == Status.CHANGES_REQUESTED else ":no_entry:"
        text = f"{emoji} {reviewer} *{verb} {name}* for *{project_title(project)}*:{said}"
        next_step = (
            "Your answers are kept: change the ones that are different and submit again."
            if status == Status.CHANGES_REQUESTED
            else f"Talk with {reviewer} about what would make it possible; when the project has changed, "
            "revise your answers and submit again."
        )
        blocks = [
            bk.section(text),
            bk.context(next_step),
            bk.actions(
                bk.button("Revise answers", RiskAction.REVISE, Ref(a=assessment.id).encode(), style="primary"),
                bk.button("See the review", RiskAction.VIEW, _value(assessment)),
                block_id=f"risk_decided_{assessment.id}",
            ),
        ]
    headline = {
        Status.APPROVED: f"IT approved {name} for {project.title}",
        Status.CHANGES_REQUESTED: f"IT asked for changes to {name} for {project.title}",
    }.get(status, f"IT rejected {name} for {project.title}")
    return bk.message(headline, blocks)


def detail_blocks(review: Review, *, can_decide: bool) -> list[bk.Block]:
    assessment = review.assessment
    status = Status(assessment.status)
    blocks: list[bk.Block] = [
        bk.section(f"*Status:* {DECISION_BADGE.get(status, STATUS_LABEL[status])}"),
        *_overview(review),
    ]
    decided = decision_line(assessment)
    if decided:
        blocks.append(bk.section(decided))
    if review.previous is not None:
        blocks.append(bk.section(_revision_lines(review, None)))
    blocks += _risk_blocks(review, "Risky answers and IT's advice")
    answers = assessment.answers or {}
    lines = [
        f"• {bk.escape(q.text)} — *{bk.escape(bk.clip(flow.answer_text(q, answers.get(q.id)), 300))}*"
        for q in flow.applicable(review.checklist, answers)
        if q.id in answers
    ]
    if lines:
        blocks.append(bk.section(fit_lines("*All answers*", lines)))
    if can_decide and status == Status.PENDING:
        value = _value(assessment)
        blocks.append(
            bk.actions(
                bk.button("Approve", RiskAction.APPROVE, value, style="primary"),
                bk.button("Request changes…", RiskAction.REQUEST_CHANGES, value),
                bk.button("Reject…", RiskAction.REJECT, value, style="danger"),
                bk.button("Approve with a comment…", RiskAction.APPROVE_WITH_COMMENT, value),
                block_id=f"risk_detail_{assessment.id}",
            )
        )
    return blocks


def detail_message(review: Review, *, can_decide: bool) -> dict[str, Any]:
    name = label(review.assessment)
    blocks = [bk.header(f"{name} · {review.project.title}"), *detail_blocks(review, can_decide=can_decide)]
    return bk.message(f"{name}: {STATUS_LABEL[Status(review.assessment.status)]}", blocks)


def detail_modal(review: Review, *, can_decide: bool) -> dict[str, Any]:
    return bk.modal(
        RiskAction.VIEW_MODAL,
        label(review.assessment),
        detail_blocks(review, can_decide=can_decide),
        submit=None,
        close="Close",
        private_metadata=Ref(a=review.assessment.id).encode(),
    )


def notice_modal(text: str) -> dict[str, Any]:
    return bk.modal(RiskAction.NOTICE_MODAL, "IT risk check", [bk.section(text)], submit=None, close="OK")


def _listed_line(row: ListedAssessment, *, show_hero: bool) -> str:
    assessment = row.assessment
    level = f" · {level_badge(assessment.level)}" if assessment.level else ""
    hero = f" · <@{assessment.hero_id}>" if show_hero else ""
    waiting = ""
    if assessment.status == Status.PENDING and assessment.submitted_at is not None:
        waiting = f" · submitted {bk.slack_date(assessment.submitted_at, '{date_short_pretty}')}"
    return f"*{label(assessment)}* {project_title(row.project)} — {row.where}{level}{hero}{waiting}"


def assessment_list(page: AssessmentPage, *, is_reviewer: bool = False) -> dict[str, Any]:
    message = _assessment_list(page)
    if is_reviewer and page.filter_name != "pending":
        message["blocks"].append(bk.context("You're an IT reviewer: `/risk list pending` shows what waits for you."))
    return message


def _assessment_list(page: AssessmentPage) -> dict[str, Any]:
    pending = page.filter_name == "pending"
    title = "Waiting for IT review" if pending else "Your risk checks"
    if not page.rows:
        empty = (
            "Nothing is waiting for IT review. :tada:"
            if pending
            else "You haven't run a risk check yet. Start one for your project with `/risk start HERO-12`."
        )
        return bk.message(empty, [bk.section(f"*{title}*\n{empty}")])
    blocks: list[bk.Block] = [bk.section(f"*{title}* ({page.total})")]
    for row in page.rows[:40]:
        button = (
            bk.button("Resume", RiskAction.RESUME, Ref(a=row.assessment.id, s=row.assessment.step).encode())
            if row.assessment.status == Status.IN_PROGRESS and not pending
            else bk.button("Review" if pending else "View", RiskAction.VIEW, _value(row.assessment))
        )
        blocks.append(bk.section(_listed_line(row, show_hero=pending), accessory=button))
    if page.total > len(page.rows):
        blocks.append(bk.context(f"Showing {len(page.rows)} of {page.total}."))
    return bk.message(f"{title}: {page.total}", blocks)


def home_section(home: HomeRisk) -> list[bk.Block]:
    """Each of the person's projects with its risk check and the button that moves it on; IT's queue."""
    blocks: list[bk.Block] = [bk.header("IT risk checks")]
    if not home.projects:
        blocks.append(
            bk.section(
                "Before a HERO project launches, IT's risk check helps you spot and reduce the risks of talking to "
                "customers in public. Log a project, then start its check here or with `/risk start HERO-12`."
            )
        )
    for project, row in home.projects[:15]:
        blocks.append(_home_row(project, row, home.user_id))
    if home.queue is not None:
        blocks.append(bk.header(f"IT review queue ({home.queue_total})"))
        if not home.queue:
            blocks.append(bk.section("Nothing is waiting for your review. :tada:"))
        for listed in home.queue:
            review = bk.button("Review", RiskAction.VIEW, _value(listed.assessment), style="primary")
            blocks.append(bk.section(_listed_line(listed, show_hero=True), accessory=review))
        if home.queue_total > len(home.queue):
            blocks.append(bk.context("See the whole queue with `/risk list pending`."))
    return blocks


def _home_row(project: Project, row: ListedAssessment | None, user_id: str) -> bk.Block:
    name = project_title(project)
    if row is None:
        start = bk.button("Start risk check", RiskAction.START, str(project.id), style="primary")
        return bk.section(f"*{name}* — no risk check yet", accessory=start)
    assessment = row.assessment
    status = Status(assessment.status)
    line = f"*{name}* — {label(assessment)} {row.where}"
    if assessment.level and status != Status.IN_PROGRESS:
        line += f" · {level_badge(assessment.level)}"
    if status == Status.IN_PROGRESS and assessment.hero_id != user_id:
        return bk.section(f"{line} · being answered by <@{assessment.hero_id}>")
    if status == Status.IN_PROGRESS:
        button = bk.button(
            "Resume", RiskAction.RESUME, Ref(a=assessment.id, s=assessment.step).encode(), style="primary"
        )
    elif status in (Status.CHANGES_REQUESTED, Status.REJECTED):
        button = bk.button("Revise answers", RiskAction.REVISE, _value(assessment), style="primary")
    else:
        button = bk.button("View", RiskAction.VIEW, _value(assessment))
    return bk.section(line, accessory=button)
