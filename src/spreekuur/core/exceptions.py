from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["BusinessRuleError", "PermissionDenied", "ValidationError"]


class BusinessRuleError(Exception):
    """A request that breaks a rule of the practice; the message is shown to the user (Dutch)."""
