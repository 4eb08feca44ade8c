"""The client: httpx, sync and async, with token or AK/SK authentication, retries and a call budget.

Also the pieces others reuse: the AK/SK verifier (the emulator's gateway), the masking helpers
(cassettes, reports) and the configuration read from the environment.
"""

from __future__ import annotations

import typing as _typing

from pytest_idclassify._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from pytest_idclassify.client._asgi import SyncASGITransport
    from pytest_idclassify.client._auth_aksk import AkSkAuth
    from pytest_idclassify.client._auth_token import TokenAuth
    from pytest_idclassify.client._budget import CallBudget
    from pytest_idclassify.client._client import (
        USER_AGENT,
        AsyncIdClassifyClient,
        IdClassifyClient,
        auth_from_config,
        classification_body,
        read_limits,
    )
    from pytest_idclassify.client._config import (
        API_PATH,
        DEFAULT_MAX_DECODED_BYTES,
        DEFAULT_MAX_JSON_DEPTH,
        DEFAULT_MAX_RESPONSE_BYTES,
        ENV_VARS,
        SECRET_SETTINGS,
        ClientConfig,
        region_endpoint,
        validate_project_id,
    )
    from pytest_idclassify.client._deadline import (
        bound_async_client,
        bound_by_deadline,
        bound_client,
        deadline,
        time_left,
        wire_budget,
    )
    from pytest_idclassify.client._encoding import encode_json
    from pytest_idclassify.client._iam import IamToken, IamTokenSource
    from pytest_idclassify.client._masking import (
        SECRET_HEADERS,
        mask_authorization,
        mask_header,
        mask_headers,
        mask_secret,
    )
    from pytest_idclassify.client._outcome import Attempt, Outcome, SentRequest, summarize_body, summarize_data
    from pytest_idclassify.client._reading import ReadLimits, aread_bounded, json_too_deep, read_bounded
    from pytest_idclassify.client._retry import RetryPolicy, is_retryable_status, parse_retry_after
    from pytest_idclassify.client._verify import RejectReason, VerifiedIdentity, verify_aksk
    from pytest_idclassify.errors import SignatureRejected

# Loaded on first use (PEP 562): the pre-flight and the redaction policy read the client's settings
# table alone, and a process that sends nothing (the pytest-xdist controller of a run against the
# emulator or cassettes) need not import httpx.
_LAZY = {
    "SyncASGITransport": "pytest_idclassify.client._asgi",
    "AkSkAuth": "pytest_idclassify.client._auth_aksk",
    "TokenAuth": "pytest_idclassify.client._auth_token",
    "CallBudget": "pytest_idclassify.client._budget",
    **dict.fromkeys(
        (
            "USER_AGENT",
            "AsyncIdClassifyClient",
            "IdClassifyClient",
            "auth_from_config",
            "classification_body",
            "read_limits",
        ),
        "pytest_idclassify.client._client",
    ),
    **dict.fromkeys(
        (
            "API_PATH",
            "DEFAULT_MAX_DECODED_BYTES",
            "DEFAULT_MAX_JSON_DEPTH",
            "DEFAULT_MAX_RESPONSE_BYTES",
            "ENV_VARS",
            "SECRET_SETTINGS",
            "ClientConfig",
            "region_endpoint",
            "validate_project_id",
        ),
        "pytest_idclassify.client._config",
    ),
    **dict.fromkeys(
        ("bound_async_client", "bound_by_deadline", "bound_client", "deadline", "time_left", "wire_budget"),
        "pytest_idclassify.client._deadline",
    ),
    "encode_json": "pytest_idclassify.client._encoding",
    **dict.fromkeys(("IamToken", "IamTokenSource"), "pytest_idclassify.client._iam"),
    **dict.fromkeys(
        ("SECRET_HEADERS", "mask_authorization", "mask_header", "mask_headers", "mask_secret"),
        "pytest_idclassify.client._masking",
    ),
    **dict.fromkeys(
        ("Attempt", "Outcome", "SentRequest", "summarize_body", "summarize_data"), "pytest_idclassify.client._outcome"
    ),
    **dict.fromkeys(
        ("ReadLimits", "aread_bounded", "json_too_deep", "read_bounded"), "pytest_idclassify.client._reading"
    ),
    **dict.fromkeys(("RetryPolicy", "is_retryable_status", "parse_retry_after"), "pytest_idclassify.client._retry"),
    **dict.fromkeys(("RejectReason", "VerifiedIdentity", "verify_aksk"), "pytest_idclassify.client._verify"),
    "SignatureRejected": "pytest_idclassify.errors",
}

__all__ = [
    "API_PATH",
    "DEFAULT_MAX_DECODED_BYTES",
    "DEFAULT_MAX_JSON_DEPTH",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ENV_VARS",
    "SECRET_HEADERS",
    "SECRET_SETTINGS",
    "USER_AGENT",
    "AkSkAuth",
    "AsyncIdClassifyClient",
    "Attempt",
    "CallBudget",
    "ClientConfig",
    "IamToken",
    "IamTokenSource",
    "IdClassifyClient",
    "Outcome",
    "ReadLimits",
    "RejectReason",
    "RetryPolicy",
    "SentRequest",
    "SignatureRejected",
    "SyncASGITransport",
    "TokenAuth",
    "VerifiedIdentity",
    "aread_bounded",
    "auth_from_config",
    "bound_async_client",
    "bound_by_deadline",
    "bound_client",
    "classification_body",
    "deadline",
    "encode_json",
    "is_retryable_status",
    "json_too_deep",
    "mask_authorization",
    "mask_header",
    "mask_headers",
    "mask_secret",
    "parse_retry_after",
    "read_bounded",
    "read_limits",
    "region_endpoint",
    "summarize_body",
    "summarize_data",
    "time_left",
    "validate_project_id",
    "verify_aksk",
    "wire_budget",
]

# Not for type checkers, which read the imports above (see lazy_exports).
if not _typing.TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
