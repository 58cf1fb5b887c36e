"""Paged listings: newest first by page, every order exactly once, bounded work per page."""

from __future__ import annotations

import oms_stubs as st
import pytest
from test_book_cold import ACC2, _many, _restored

from ashare_exec.model import OrderStatus
from ashare_exec.model.order import Order
from ashare_exec.oms import OrderBook


def _ids(orders: list[Order]) -> list[str]:
    return [o.client_order_id for o in orders]


def _all_pages(book: OrderBook, limit: int, **filters: object) -> list[list[str]]:
    pages, before = [], None
    while True:
        page = book.page(limit=limit, before=before, **filters)  # type: ignore[arg-type]
        pages.append(_ids(page.orders))
        if page.next_before is None:
            return pages
        assert before is None or page.next_before < before  # always moves back
        before = page.next_before


@pytest.mark.parametrize("restored", [False, True])
def test_page_when_followed_to_the_end_lists_every_order_once_newest_page_first(
    restored: bool,
) -> None:
    live = _many(25)
    book = _restored(live)[0] if restored else live

    pages = _all_pages(book, 10, account_id=st.ACC)

    assert pages[0] == [f"C{i}" for i in range(16, 25)] + ["W"]  # oldest first in a page
    assert [c for p in reversed(pages) for c in p] == _ids(live.orders(st.ACC))
    assert [len(p) for p in pages] == [10, 10, 6]


@pytest.mark.parametrize("restored", [False, True])
def test_page_when_filtered_pages_through_the_matches_only(restored: bool) -> None:
    live = _many(40)
    book = _restored(live)[0] if restored else live

    def third(o: Order) -> bool:
        return int(o.client_order_id[1:] or 0) % 3 == 0

    pages = _all_pages(book, 4, account_id=st.ACC, where=third)

    assert [c for p in reversed(pages) for c in p] == _ids(live.orders(st.ACC, where=third))


def test_page_when_open_only_lists_working_orders_without_building_cold_ones() -> None:
    live = _many(300)
    for coid in ("X1", "X2", "X3"):
        live.apply(st.submitted(coid))
    book, loader = _restored(live)

    first = book.page(st.ACC, limit=2, open_only=True)
    rest = book.page(st.ACC, limit=2, open_only=True, before=first.next_before)

    assert (_ids(first.orders), _ids(rest.orders)) == (["X2", "X3"], ["W", "X1"])
    assert rest.next_before is None
    assert loader.asked == []
    working = book.page(limit=10, status=OrderStatus.PENDING_NEW)
    assert _ids(working.orders) == ["W", "X1", "X2", "X3"]
    assert loader.asked == []


def test_page_when_filter_matches_nothing_stops_at_the_build_budget_with_a_cursor() -> None:
    live = _many(1000)
    book, loader = _restored(live)

    page = book.page(st.ACC, limit=10, where=lambda o: False, max_built=300)

    assert page.orders == []
    assert page.next_before is not None
    assert len(loader.asked) <= 300  # not the 1,000 a full scan would build
    pages = _all_pages(book, 10, account_id=st.ACC, where=lambda o: False)
    assert pages[-1] == []
    assert book.cold_count == 0  # following the cursor to the end examined everything


def test_page_when_account_given_skips_other_accounts_without_building_them() -> None:
    live = _many(50)
    live.apply(st.denied("D1", account=ACC2))
    book, loader = _restored(live)

    page = book.page(ACC2, limit=5)

    assert (_ids(page.orders), page.next_before) == (["D1"], None)
    assert loader.asked == [(ACC2, "D1")]


def test_page_when_before_is_out_of_range_is_clamped() -> None:
    book = _many(3)

    assert _ids(book.page(limit=10, before=10_000).orders) == ["C0", "C1", "C2", "W"]
    assert book.page(limit=10, before=-5) == ([], None)


def test_page_positions_after_day_roll_follow_the_remaining_orders() -> None:
    book = _many(5)
    book.evict_done(st.ACC)
    book.apply(st.submitted("N1"))

    page = book.page(limit=1)
    older = book.page(limit=1, before=page.next_before)

    assert (_ids(page.orders), _ids(older.orders), older.next_before) == (["N1"], ["W"], None)


def test_page_when_budget_is_zero_still_moves_back_one_order_at_a_time() -> None:
    book, _loader = _restored(_many(3))

    pages = _all_pages(book, 10, account_id=st.ACC, max_built=0)

    assert [c for p in reversed(pages) for c in p] == ["C0", "C1", "C2", "W"]
