"""The client: httpx, sync and async, with token or AK/SK authentication, retries and a call budget.

Also the pieces others reuse: the AK/SK verifier (the emulator's gateway), the masking helpers
(cassettes, reports) and the configuration read from the environment.
"""

from __future__ import annotations

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
)
from pytest_idclassify.client._config import API_PATH, ENV_VARS, ClientConfig, region_endpoint, validate_project_id
from pytest_idclassify.client._iam import IamToken, IamTokenSource
from pytest_idclassify.client._masking import (
    SECRET_HEADERS,
    mask_authorization,
    mask_header,
    mask_headers,
    mask_secret,
)
from pytest_idclassify.client._outcome import Attempt, Outcome, SentRequest, summarize_body, summarize_data
from pytest_idclassify.client._retry import RetryPolicy, is_retryable_status, parse_retry_after
from pytest_idclassify.client._verify import RejectReason, VerifiedIdentity, verify_aksk
from pytest_idclassify.errors import SignatureRejected

__all__ = [
    "API_PATH",
    "ENV_VARS",
    "SECRET_HEADERS",
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
    "RejectReason",
    "RetryPolicy",
    "SentRequest",
    "SignatureRejected",
    "SyncASGITransport",
    "TokenAuth",
    "VerifiedIdentity",
    "auth_from_config",
    "classification_body",
    "is_retryable_status",
    "mask_authorization",
    "mask_header",
    "mask_headers",
    "mask_secret",
    "parse_retry_after",
    "region_endpoint",
    "summarize_body",
    "summarize_data",
    "validate_project_id",
    "verify_aksk",
]
