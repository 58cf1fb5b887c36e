"""ashare_exec: an order-execution gateway for China A-shares.

The public surface is re-exported from the subpackages: see :mod:`ashare_exec.model`,
:mod:`ashare_exec.rules` and :mod:`ashare_exec.errors`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
