"""One domain error type; the API and pages turn it into an HTTP answer."""

from __future__ import annotations


class TransferError(Exception):
    """A rule of the transfer workflow refused an action.

    `status` is the HTTP status the action deserves: 409 for a conflict with
    the current state (answering a withdrawn inquiry, choosing twice), 403 for
    a role that may see but not do, 400 for bad input.
    """

    status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Conflict(TransferError):
    status = 409


class Forbidden(TransferError):
    status = 403


class Invalid(TransferError):
    status = 400
