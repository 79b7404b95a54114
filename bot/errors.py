"""Errors a person can act on. Their message is shown to the user as it is, ephemerally."""


class UserError(Exception):
    """Something the person asked for cannot be done; the message says why and what to do."""


class NotFound(UserError):
    pass


class PermissionDenied(UserError):
    pass


class InvalidInput(UserError):
    """Bad input for a modal or command; `field` names the input block when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
