"""glia's Python runtime: hosts one Cortex-style ``Handler`` behind the gRPC contract.

Run it with ``python -m glia_runtime --socket PATH --project DIR --spec FILE``; see
``glia_runtime.__main__`` for the full command-line contract and exit codes.
"""

from __future__ import annotations

__version__ = "0.1.0"
