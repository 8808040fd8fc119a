"""Compatibility package: ``cortex_internal.lib``."""

from __future__ import annotations
