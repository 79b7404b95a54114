"""action_id / callback_id values of the routing-rule editor and the crisis alert, and what they carry."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ValidationError


class RuleAction(StrEnum):
    ADD = "complaint_rule_add"
    EDIT = "complaint_rule_edit"
    UP = "complaint_rule_up"
    DOWN = "complaint_rule_down"
    DELETE = "complaint_rule_delete"
    PAGE = "complaint_rule_page"
    MODAL = "complaint_rule_modal"


class CrisisAction(StrEnum):
    ACKNOWLEDGE = "complaint_crisis_ack"


class RuleRef(BaseModel):
    """What a rule button carries: the rule (none for *Add rule*) and the page of the list it sits on."""

    r: int | None = None
    p: int = 0

    def encode(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def decode(cls, raw: str | None) -> RuleRef | None:
        try:
            return cls.model_validate_json(raw or "")
        except ValidationError:
            return None


class RuleModalMeta(BaseModel):
    """The rule modal: the rule being edited (None: a new one), where the list was shown, and its page."""

    rule_id: int | None = None
    channel: str | None = None
    page: int = 0

    @classmethod
    def decode(cls, raw: str | None) -> RuleModalMeta:
        try:
            return cls.model_validate_json(raw or "{}")
        except ValidationError:
            return cls()
