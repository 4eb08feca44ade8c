"""Error answers: every refusal names a documented code, and its status and message come from the tables."""

from __future__ import annotations

from typing import Any

from pytest_idclassify._json_words import compact_json
from pytest_idclassify._tables import documented_tables

REQUEST_ID_HEADER = "X-Request-Id"


class Refusal(Exception):
    """Raised inside the emulator to answer a request with a documented error.

    ``code`` (and ``message`` for codes the table lists more than once, such as APIG.0201) selects
    the table row; ``suffix`` completes a prefix message (APIG.0301's reason) and ``limit`` fills the
    ``limit:N`` of APIG.0308.  ``headers`` are added to the answer (Retry-After).
    """

    def __init__(
        self,
        code: str,
        *,
        message: str | None = None,
        suffix: str = "",
        limit: int | None = None,
        headers: dict[str, str] | None = None,
        reason: str = "",
    ) -> None:
        row = documented_tables().error(code, message)
        self.code = row.code
        self.status = row.status
        if row.message_kind == "pattern":
            # The table's own message carries the placeholder; only the number is ours.
            self.message = row.message.replace("limit:N", f"limit:{limit if limit is not None else 0}")
        else:
            self.message = row.message + suffix
        self.headers = dict(headers or {})
        self.reason = reason
        super().__init__(f"{self.status} {self.code} {self.message!r}" + (f" ({reason})" if reason else ""))

    def body(self, request_id: str, *, with_request_id: bool) -> bytes:
        """The JSON error body; APIG errors may carry the request id when ``with_request_id``."""
        payload: dict[str, Any] = {"error_code": self.code, "error_msg": self.message}
        if with_request_id and self.code.startswith("APIG."):
            payload["request_id"] = request_id
        return compact_json(payload).encode("utf-8")
