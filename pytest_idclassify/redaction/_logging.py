"""Log records redacted at the source: ours, and those of the libraries we drive.

httpx logs every request's URL (the project id in its path) and httpcore's debug trace prints
response headers; vcrpy logs each request it matches and each interaction it records; uvicorn's
access log prints each request line, query string included.  A filter on each of those loggers
passes each message through the policy before any handler (pytest's log capture, a log file, the
terminal) sees it.  A filter acts on the records of its own logger only, so each module's logger
that writes is named.
"""

from __future__ import annotations

import logging

#: The loggers whose records are redacted: the toolkit's, httpx's, httpcore's, vcrpy's and uvicorn's.
REDACTED_LOGGERS = (
    "pytest_idclassify",
    "pytest_idclassify.client",
    "pytest_idclassify.emulator",
    "pytest_idclassify.suite",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "vcr",
    "vcr.cassette",
    "vcr.matchers",
    "vcr.patch",
    "vcr.request",
    "vcr.stubs",
    "vcr.stubs.httpx_stubs",
    "uvicorn.access",
    "uvicorn.error",
)


class RedactingFilter(logging.Filter):
    """A :class:`logging.Filter` that rewrites a record's message through the process-wide policy.

    ``learns`` says whether values found in log lines join the policy: not in a server, whose lines
    hold what clients sent (see :meth:`RedactionPolicy.not_learning`).
    """

    learns = True

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its redacted form (never drops a record)."""
        from pytest_idclassify.redaction import default_policy

        if self.learns:
            return self._redact(record)
        with default_policy().not_learning():
            return self._redact(record)

    @staticmethod
    def _redact(record: logging.LogRecord) -> bool:
        from pytest_idclassify.redaction import redact_text

        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to logging's own error path
            return True
        redacted = redact_text(message)
        if redacted == message:
            return True
        if isinstance(record.args, tuple) and record.args:
            # Arguments redacted one by one keep the record's shape: uvicorn's access formatter unpacks them.
            args = tuple(redact_text(a) if isinstance(a, str) else a for a in record.args)
            template = redact_text(record.msg) if isinstance(record.msg, str) else record.msg
            try:
                kept = (template % args) == redacted
            except (TypeError, ValueError):
                kept = False
            if kept:
                record.msg, record.args = template, args
                return True
        record.msg, record.args = redacted, None
        return True


_FILTER = RedactingFilter()


def redact_logs(names: tuple[str, ...] = REDACTED_LOGGERS, *, learn: bool | None = None) -> None:
    """Attach the redacting filter to each logger in ``names`` (once; calling again changes nothing).

    ``learn=False`` (a server, whose log lines clients write) keeps what the lines hold out of the
    process's policy from then on; ``None`` leaves that as it was.
    """
    if learn is not None:
        _FILTER.learns = learn
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
