"""Cortex's structured logger for handler code: ``from cortex_internal.lib.log import logger``.

``logger`` is the stdlib logger named ``cortex``. Each record is one JSON object per line on
stdout: ``asctime`` (e.g. ``"2021-01-19 15:14:05,291"``), ``levelname``, ``message``, ``process``,
then the keys of ``extra`` flattened one level (values that are not JSON become ``str``). The keys
``asctime``, ``levelname``, ``message``, ``labels`` and ``process`` cannot be overridden: passed in
``extra`` they are dropped and a ``glia_warning`` field names them. A line over 5 MiB is replaced
by a short warning line. The level follows the API's ``handler.log_level`` (default ``info``).

Example::

    logger.info("received payload", extra={"payload": payload})
"""

from __future__ import annotations

import logging

from glia_runtime.log import make_cortex_logger

logger: logging.Logger = make_cortex_logger()

__all__ = ["logger"]
