"""Bearer-token authentication with scopes (read, trade, admin) and per-account permissions."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from ashare_exec.config import TokenConfig

__all__ = ["AuthError", "Authenticator", "Principal"]

# admin implies trade implies read.
_IMPLIED = {"admin": {"admin", "trade", "read"}, "trade": {"trade", "read"}, "read": {"read"}}


class AuthError(Exception):
    """Authentication (401) or authorisation (403) failure."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's name, scopes and allowed accounts (None = all)."""

    name: str
    scopes: frozenset[str]
    accounts: frozenset[str] | None

    def require(self, scope: str, account: str | None = None) -> None:
        """Raise :class:`AuthError` unless this principal has ``scope`` (and ``account``)."""
        if scope not in self.scopes:
            raise AuthError(403, "NOT_PERMITTED", f"token {self.name!r} lacks the {scope} scope")
        if account is not None and self.accounts is not None and account not in self.accounts:
            raise AuthError(
                403, "NOT_PERMITTED", f"token {self.name!r} may not use account {account!r}"
            )

    def may_see(self, account: str) -> bool:
        """Whether this principal may read ``account``."""
        return self.accounts is None or account in self.accounts


class Authenticator:
    """Checks bearer tokens in constant time."""

    def __init__(self, tokens: Iterable[TokenConfig]) -> None:
        self._tokens: list[tuple[bytes, Principal]] = []
        for t in tokens:
            scopes: set[str] = set()
            for s in t.scopes:
                scopes |= _IMPLIED[s]
            self._tokens.append(
                (t.value.encode(), Principal(t.name, frozenset(scopes), t.accounts))
            )

    def __len__(self) -> int:
        return len(self._tokens)

    def authenticate(self, header: str | None) -> Principal:
        """Return the principal for an ``Authorization: Bearer ...`` header value or raw token."""
        if not header:
            raise AuthError(401, "NOT_AUTHENTICATED", "missing bearer token")
        token = header[7:].strip() if header[:7].lower() == "bearer " else header.strip()
        given = token.encode()
        found: Principal | None = None
        for value, principal in self._tokens:
            if hmac.compare_digest(value, given):
                found = principal
        if found is None:
            raise AuthError(401, "NOT_AUTHENTICATED", "invalid token")
        return found
