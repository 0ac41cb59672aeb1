"""Log lines of every process: the service, the request id and the report id on each line.

`LOG_FORMAT=json` (the default in compose and Kubernetes) writes one JSON object per line for a log collector;
`text` (the default for `make run`) writes a readable line. nameko services name the formatter in their
config.yml (`"()": libs.platform.logs.formatter`); other processes call `configure(service)`.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from datetime import UTC, datetime

from . import correlation

TEXT = "%(asctime)s {service} %(levelname)s %(name)s: %(message)s"


def _ids(record: logging.LogRecord) -> tuple[str | None, str | None]:
    rid, rep = correlation.current()
    return getattr(record, "request_id", None) or rid, getattr(record, "report_id", None) or rep


class TextFormatter(logging.Formatter):
    """`<time> <service> <LEVEL> <logger>: <message> [req=<id> report=<id>]`."""

    def __init__(self, service: str):
        super().__init__(TEXT.format(service=service))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid, rep = _ids(record)
        if rid or rep:
            tags = " ".join(t for t in (rid and f"req={rid}", rep and f"report={rep}") if t)
            head, sep, tail = line.partition("\n")  # keep a traceback below the tagged first line
            line = f"{head} [{tags}]{sep}{tail}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, logger, msg, request_id, report_id, exc."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        rid, rep = _ids(record)
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if rid:
            doc["request_id"] = rid
        if rep:
            doc["report_id"] = rep
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def formatter(service: str, style: str | None = None) -> logging.Formatter:
    """The formatter for `style` (`json` or `text`; default LOG_FORMAT, else text)."""
    chosen = (style or os.environ.get("LOG_FORMAT") or "text").strip().lower()
    return JsonFormatter(service) if chosen == "json" else TextFormatter(service)


def dict_config(service: str, level: str | None = None) -> dict:
    """A `logging.config.dictConfig` document: one console handler with our formatter, on root and uvicorn."""
    level = level or os.environ.get("LOG_LEVEL", "INFO")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": formatter, "service": service}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error")},
    }


def configure(service: str) -> None:
    """Configure logging of a process that is not started by `nameko run` (gateway, tools)."""
    logging.config.dictConfig(dict_config(service))
