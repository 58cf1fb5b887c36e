"""Every error of the gateway's tree answers with a deliberate HTTP status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import ashare_exec
from ashare_exec import errors
from ashare_exec.api.app import ERROR_STATUS, error_status
from ashare_exec.errors import GatewayError, OrderRefused


def _every_subclass(cls: type[GatewayError]) -> set[type[GatewayError]]:
    out: set[type[GatewayError]] = set()
    for sub in cls.__subclasses__():
        out |= {sub, *_every_subclass(sub)}
    return out


def _import_package() -> None:
    for mod in pkgutil.walk_packages(ashare_exec.__path__, "ashare_exec."):
        if ".venues.qmt" in mod.name or ".venues.vnpy" in mod.name or "__main__" in mod.name:
            continue  # vendor shims import optional packages; their errors map at the seam
        importlib.import_module(mod.name)


def test_error_table_lists_every_class_of_the_documented_tree() -> None:
    tree = {getattr(errors, name) for name in errors.__all__}

    assert tree == set(ERROR_STATUS)


def test_error_status_of_every_subclass_in_the_package_is_its_nearest_listed_ancestor() -> None:
    _import_package()
    for cls in _every_subclass(GatewayError):
        if cls.__module__.startswith("tests."):
            continue
        nearest = next(c for c in cls.__mro__ if c in ERROR_STATUS)
        error = cls.__new__(cls)
        error.code = "X"
        assert error_status(error) == ERROR_STATUS[nearest], cls


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.DuplicateClientOrderId("c1 differs"), 409),
        (OrderRefused("closed", reasons=("CANCEL_NOT_ALLOWED_NOW",)), 422),
        (OrderRefused("filled", reasons=("ORDER_ALREADY_DONE",)), 409),
        (errors.BrokerTimeout("no answer"), 504),
        (errors.BrokerUnavailable("down"), 503),
        (errors.BrokerRejected("no"), 502),
        (errors.JournalError("read failed"), 503),
        (errors.InvalidTransition("FILLED -> NEW"), 500),
        (errors.ConfigError("bad limit"), 400),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_error_status_of_each_error(error: GatewayError, status: int) -> None:
    assert error_status(error) == status


def test_error_answer_when_a_bug_logs_its_trace(caplog: pytest.LogCaptureFixture) -> None:
    from ashare_exec.api.app import _gateway_error_response

    try:
        raise errors.InvalidTransition("FILLED -> NEW")
    except errors.InvalidTransition as e:
        answer = _gateway_error_response(e)

    assert answer.status_code == 500
    assert [r.exc_info is not None for r in caplog.records if "FILLED -> NEW" in r.message] == [
        True
    ]
