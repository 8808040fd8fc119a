"""Compatibility package: the parts of Cortex's ``cortex_internal`` that handlers import."""

from __future__ import annotations
