from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["BusinessRuleError", "ChooseFirst", "PermissionDenied", "ValidationError"]


class BusinessRuleError(Exception):
    """A request that breaks a rule of the practice; the message is shown to the user (Dutch)."""


class ChooseFirst(PermissionDenied):
    """Not a refusal: the page needs a choice the person has not made yet (whom a
    gemachtigde acts for). The 403 handler sends them to `url` with `message` instead."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.message = message
