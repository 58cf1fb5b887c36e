"""Fixtures for the risk tests (helpers live in ``risk_helpers``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_helpers import IID

from ashare_exec.risk import InMemoryAccount


@pytest.fixture
def account() -> InMemoryAccount:
    acc = InMemoryAccount(cash=Decimal(1_000_000), marks={IID: Decimal("10.00")})
    acc.set_position(IID, 1000, avg_cost=Decimal("10.00"))
    return acc
