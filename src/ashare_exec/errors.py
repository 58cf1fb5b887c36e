"""The gateway's error tree. Every error carries a stable reason code (``reason-codes.md``).

::

    GatewayError                      base; .code, .message, .context
    ├── ConfigError                   invalid configuration (names file, key, problem)
    ├── InvalidRequest                malformed instruction (INVALID_REQUEST, UNKNOWN_SYMBOL)
    ├── OrderRefused                  an instruction refused with one or more reason codes
    │   └── DuplicateClientOrderId    same client order id, different content
    ├── OrderNotFound                 cancel/query of an unknown order
    ├── InvalidTransition             event not allowed in the order's state
    ├── BrokerError                   vendor failures, mapped at the adapter seam
    │   ├── BrokerUnavailable         link down / not connected (VENUE_DISCONNECTED)
    │   ├── BrokerTimeout             no answer in time (SUBMIT_TIMEOUT)
    │   └── BrokerRejected            business rejection (BROKER_REJECTED)
    ├── JournalError                  the journal cannot be read or written; trading halts
    └── ServiceUnavailable            shutting down / not ready (SHUTTING_DOWN, ...)
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BrokerError",
    "BrokerRejected",
    "BrokerTimeout",
    "BrokerUnavailable",
    "ConfigError",
    "DuplicateClientOrderId",
    "GatewayError",
    "InvalidRequest",
    "InvalidTransition",
    "JournalError",
    "OrderNotFound",
    "OrderRefused",
    "ServiceUnavailable",
]


class GatewayError(Exception):
    """Base of all gateway errors.

    Args:
        message: human-readable text (may be Chinese or English).
        code: stable upper-case reason code.
        context: extra fields (e.g. ``client_order_id``) for logs and API responses.
    """

    default_code = "INTERNAL_ERROR"

    def __init__(
        self, message: str, *, code: str | None = None, context: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.context: dict[str, object] = dict(context or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ConfigError(GatewayError):
    """The configuration is invalid."""

    default_code = "CONFIG_INVALID"


class InvalidRequest(GatewayError):
    """A malformed instruction."""

    default_code = "INVALID_REQUEST"


class OrderRefused(GatewayError):
    """An instruction was refused; ``reasons`` lists every reason code that applies."""

    default_code = "ORDER_REFUSED"

    def __init__(
        self,
        message: str,
        *,
        reasons: tuple[str, ...],
        context: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=reasons[0] if reasons else None, context=context)
        self.reasons = reasons


class DuplicateClientOrderId(OrderRefused):
    """The client order id exists with different content."""

    def __init__(self, message: str, *, context: Mapping[str, object] | None = None) -> None:
        super().__init__(message, reasons=("DUPLICATE_CLIENT_ORDER_ID",), context=context)


class OrderNotFound(GatewayError):
    """No such order."""

    default_code = "ORDER_NOT_FOUND"


class InvalidTransition(GatewayError):
    """An event is not allowed in the order's current state (``"NEW -> PENDING_NEW"``)."""

    default_code = "INVALID_TRANSITION"


class BrokerError(GatewayError):
    """A failure at the venue seam."""

    default_code = "BROKER_ERROR"


class BrokerUnavailable(BrokerError):
    """The venue link is down."""

    default_code = "VENUE_DISCONNECTED"


class BrokerTimeout(BrokerError):
    """The venue did not answer in time."""

    default_code = "SUBMIT_TIMEOUT"


class BrokerRejected(BrokerError):
    """The venue refused the request for a business reason."""

    default_code = "BROKER_REJECTED"


class JournalError(GatewayError):
    """The journal cannot be read or written."""

    default_code = "JOURNAL_ERROR"


class ServiceUnavailable(GatewayError):
    """The service does not take this request now."""

    default_code = "SHUTTING_DOWN"
