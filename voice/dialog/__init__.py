"""Platform-neutral dialog: Turn -> Reply. Knows no platform; adapters translate."""

from voice.dialog.router import handle

__all__ = ["handle"]
