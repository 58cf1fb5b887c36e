"""xtquant constants the adapter needs, copied from ``xtquant.xtconstant`` (250807).

Copied rather than imported so that the mapping tables stay pure and importable without
xtquant; ``tests/venues/qmt/test_parsing.py`` checks them against the real module.
"""

from __future__ import annotations

from typing import Final

VENUE_NAME: Final = "qmt"

SECURITY_ACCOUNT: Final = 2  # xtconstant.SECURITY_ACCOUNT ("STOCK")

STOCK_BUY: Final = 23
STOCK_SELL: Final = 24

# price_type (xtconstant)
LATEST_PRICE: Final = 5
FIX_PRICE: Final = 11
MARKET_SH_CONVERT_5_CANCEL: Final = 42
MARKET_SH_CONVERT_5_LIMIT: Final = 43
MARKET_PEER_PRICE_FIRST: Final = 44
MARKET_MINE_PRICE_FIRST: Final = 45
MARKET_SZ_INSTBUSI_RESTCANCEL: Final = 46
MARKET_SZ_CONVERT_5_CANCEL: Final = 47
MARKET_SZ_FULL_OR_CANCEL: Final = 48

# order_status (xtconstant)
ORDER_UNREPORTED: Final = 48
ORDER_WAIT_REPORTING: Final = 49
ORDER_REPORTED: Final = 50
ORDER_REPORTED_CANCEL: Final = 51
ORDER_PARTSUCC_CANCEL: Final = 52
ORDER_PART_CANCEL: Final = 53
ORDER_CANCELED: Final = 54
ORDER_PART_SUCC: Final = 55
ORDER_SUCCEEDED: Final = 56
ORDER_JUNK: Final = 57
ORDER_UNKNOWN: Final = 255

# account status (xtconstant.ACCOUNT_STATUS_*)
ACCOUNT_STATUS_INVALID: Final = -1
ACCOUNT_STATUS_OK: Final = 0
ACCOUNT_STATUS_WAITING_LOGIN: Final = 1
ACCOUNT_STATUSING: Final = 2
ACCOUNT_STATUS_FAIL: Final = 3
ACCOUNT_STATUS_INITING: Final = 4
ACCOUNT_STATUS_CORRECTING: Final = 5
ACCOUNT_STATUS_CLOSED: Final = 6
ACCOUNT_STATUS_ASSIS_FAIL: Final = 7
ACCOUNT_STATUS_DISABLEBYSYS: Final = 8
ACCOUNT_STATUS_DISABLEBYUSER: Final = 9

# markets for cancel_order_stock_sysid (xtconstant.MARKET_STR_TO_ENUM_MAPPING)
SH_MARKET: Final = 0
SZ_MARKET: Final = 1
MARKET_ENUM_BEIJING: Final = 70

SESSION_ID_LIMIT: Final = 2**31
"""Session ids stay below this (ASSUMPTION: the native field is a signed 32-bit int)."""
