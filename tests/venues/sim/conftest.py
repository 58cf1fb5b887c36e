"""Fixtures for simulator tests."""

from tests.venues.sim.kit import make_exchange

__all__ = ["make_exchange"]
