"""action_id / callback_id values of the risk surfaces, and what their buttons and modals carry.

Every button of the conversation carries the assessment, the question and the step it was drawn
at; the server compares them with the stored state, so an old button can never change anything.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ValidationError

from bot.ids import RecordId, Step


class RiskAction(StrEnum):
    # the conversation, in the HERO's direct messages
    ANSWER = "risk_answer"  # one button per answer: risk_answer_0, risk_answer_1, … (unique in their block)
    ANSWER_SELECT = "risk_answer_select"
    OPEN_ANSWER_MODAL = "risk_answer_open"
    ANSWER_MODAL = "risk_answer_modal"
    BACK = "risk_back"
    PAUSE = "risk_pause"
    RESUME = "risk_resume"
    TO_SUMMARY = "risk_to_summary"
    CHANGE_ONE = "risk_change_one"
    CHANGE_ALL = "risk_change_all"
    SUBMIT = "risk_submit"
    REVISE = "risk_revise"
    START = "risk_start"
    # the review
    APPROVE = "risk_approve"
    APPROVE_WITH_COMMENT = "risk_approve_comment"
    REQUEST_CHANGES = "risk_request_changes"
    REJECT = "risk_reject"
    DECISION_MODAL = "risk_decision_modal"
    VIEW = "risk_view"
    VIEW_MODAL = "risk_view_modal"
    NOTICE_MODAL = "risk_notice"


ANSWER_ACTION_PATTERN = r"^risk_answer_\d+$"


def answer_action(index: int) -> str:
    return f"{RiskAction.ANSWER.value}_{index}"


class Ref(BaseModel):
    """What a conversation button carries: assessment, step, and the question and answer when relevant."""

    a: RecordId
    s: Step = 0
    q: str | None = None
    v: str | None = None

    def encode(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def decode(cls, raw: str | None) -> Ref | None:
        if not raw:
            return None
        try:
            return cls.model_validate_json(raw)
        except ValidationError:
            return None


class AnswerModalMeta(BaseModel):
    """The answer modal (multiple choice, free text): the prompt it answers and the message to update."""

    a: RecordId
    s: Step
    q: str
    channel: str | None = None
    ts: str | None = None


class DecisionModalMeta(BaseModel):
    """The comment modal of a review decision; `view_id` is the review modal to refresh, if opened from one."""

    a: RecordId
    decision: str
    view_id: str | None = None
