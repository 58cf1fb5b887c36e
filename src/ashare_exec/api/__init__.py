"""HTTP + WebSocket API (FastAPI), versioned under ``/v1``."""

from ashare_exec.api.app import create_app

__all__ = ["create_app"]
