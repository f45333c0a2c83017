"""Structured logs: every record carries `request_id`; one line per record, JSON or plain.

The id is attached by a log-record factory rather than a handler filter, so it is on *every* record,
whatever handler sees it (ours, uvicorn's, a test's). JSON lines (`PIXELRANK_LOG_FORMAT=json`) are
for log shippers; plain text is for people at a terminal.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from serving.request_id import current_request_id

LogFormat = Literal["plain", "json"]
NO_REQUEST = "-"
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, `extra=` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        line |= {key: value for key, value in vars(record).items() if key not in _STANDARD}
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def install_request_id_factory() -> None:
    """Make every new LogRecord carry the current request id (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or NO_REQUEST
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class RedactTokens(logging.Filter):
    """Bearer tokens passed in a URL (`?token=` on the live WebSocket) never reach the logs: uvicorn's
    access and connection lines carry the path with its query string."""

    pattern = re.compile(r"([?&](?:access_)?token=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = self.redact(record.msg) if isinstance(record.msg, str) else record.msg
        return True

    def redact(self, text: str) -> str:
        return self.pattern.sub(r"\1[redacted]", text)


URL_LOGGERS = ("uvicorn.access", "uvicorn.error")  # the loggers that write request paths


class _AppHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (like logging's last-resort handler), and marks
    the root handler this module installed, so configuring twice replaces it instead of doubling lines."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.setStream; always stderr here
        pass


def configure_logging(log_format: LogFormat = "plain", level: str = "info") -> None:
    """Root logging for the API process: one stderr handler in the chosen format."""
    install_request_id_factory()
    handler = _AppHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _AppHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    # Feast logs a registry refresh at INFO on every online read: one line per request, no news.
    logging.getLogger("feast").setLevel(max(logging.WARNING, root.level))
