"""Property tests: a random stream of orders, fills, cancels and day rolls never pushes a
position above its cap, never oversells T+1 shares and never overspends cash."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_helpers import IID, T0, engine, inst, order, quote

from ashare_exec.model import Side
from ashare_exec.risk import InMemoryAccount, WorkingOrderView

CAP = 3000

step = st.one_of(
    st.tuples(
        st.just("order"),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(1, 25).map(lambda n: n * 100),
        st.integers(-20, 20),
    ),
    st.tuples(st.just("fill"), st.integers(0, 50), st.integers(1, 1500)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("roll")),
)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=60))
def test_stream_when_random_orders_and_fills_never_breaks_caps_or_t1(
    steps: list[tuple[object, ...]],
) -> None:
    e = engine(
        max_position_qty=CAP,
        max_msgs_per_second=10_000,
        max_daily_orders=10_000,
        disabled_checks=["duplicate", "self_trade", "cancel_ratio", "chase_guard"],
    )
    acc = InMemoryAccount(cash=Decimal(60_000), marks={IID: Decimal("10.00")})
    acc.set_position(IID, 500, avg_cost=Decimal("10.00"))
    now = T0
    n = 0
    for s in steps:
        now += timedelta(milliseconds=50)
        kind = s[0]
        if kind == "order":
            _, side, qty, ticks = s
            price = Decimal("10.00") + Decimal(ticks) / 100
            d = e.check_order(
                order(side=side, qty=qty, price=str(price)),  # type: ignore[arg-type]
                inst(),
                quote(),
                acc,
                now,
            )
            if d.allowed:
                n += 1
                acc.place(f"o{n}", IID, side, price, qty)  # type: ignore[arg-type]
        elif kind == "fill":
            ids = list(acc.working_orders())
            if ids:
                o = ids[s[1] % len(ids)]  # type: ignore[operator]
                if o.side is Side.SELL:
                    pos = acc.position(IID)
                    assert pos is not None
                    assert o.leaves_qty <= pos.sellable_qty  # T+1 held
                acc.fill(o.client_order_id, s[2])  # type: ignore[arg-type]
        elif kind == "cancel":
            ids = acc.working_orders()
            if ids:
                o = ids[s[1] % len(ids)]  # type: ignore[operator]
                e.check_cancel(
                    "acc1",
                    now,
                    order=WorkingOrderView(o.client_order_id, IID, o.side, o.price, o.leaves_qty),
                )
                acc.cancel(o.client_order_id)
        else:
            acc.roll_day()
            now += timedelta(days=1)
        pos = acc.position(IID)
        if pos is not None:
            assert pos.total_qty + pos.working_buy_qty <= CAP
            assert 0 <= pos.sellable_qty <= pos.total_qty
            assert pos.working_sell_qty <= pos.sellable_qty
        assert acc.cash >= 0
