"""Authentication as the gateway does it: X-Auth-Token, or an SDK-HMAC-SHA256 signature; then the project."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import timedelta

from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._settings import EmulatorSettings
from pytest_idclassify.errors import SignatureRejected

_APIG_AUTH = "APIG.0301"
#: the reasons the gateway gives after APIG.0301's "Incorrect IAM authentication information: "
#: (the expired token's ends with its expiry time).
AUTH_REASONS = ("x-auth-token not found", "decrypt token fail", "token expires, expires_at: ",
                "verify aksk signature fail")  # fmt: skip


def authenticate(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    raw_headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    project_id: str,
    settings: EmulatorSettings,
) -> str:
    """Refuse the request with 401 APIG.0301 (or the project-mismatch code) unless its credential is good.

    Returns the credential's identity (``ak:<AK>``, or ``token:`` and a digest of the token), which
    per-credential throttling keys on.
    """
    authorization = headers.get("authorization", "")
    if authorization.startswith("SDK-HMAC-SHA256"):
        identity = "ak:" + _verify_signature(method, raw_path, query, raw_headers, body, settings)
    else:
        token = headers.get("x-auth-token")
        _verify_token(token, settings)
        identity = "token:" + hashlib.sha256(str(token).encode("utf-8")).hexdigest()[:16]
    _check_project(headers, project_id, settings, signed=authorization.startswith("SDK-HMAC-SHA256"))
    return identity


def _check_project(headers: Mapping[str, str], project_id: str, settings: EmulatorSettings, *, signed: bool) -> None:
    """Refuse a signed request whose X-Project-Id differs from the path, and any path project not configured."""
    claimed = headers.get("x-project-id")
    if signed and claimed is not None and claimed != project_id:
        raise Refusal(settings.code_project_mismatch, reason="X-Project-Id differs from the path's project id")
    # Every configured credential is scoped to the one configured project.
    if project_id != settings.project_id:
        raise Refusal(settings.code_project_mismatch, reason="the credential does not belong to this project")


def authenticate_headers(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    raw_headers: Iterable[tuple[bytes, bytes]],
    project_id: str,
    settings: EmulatorSettings,
) -> str | None:
    """Refuse, before a byte of the body is read, what the headers alone show to be unauthenticated.

    A token is checked whole, and its identity returned (as :func:`authenticate` would: the body
    plays no part); a signature as far as it goes without the body (form, signed headers, date,
    known access key), and ``None`` returned: its match against the body's hash is left for
    :func:`authenticate`, so a client without a credential cannot make the server hold its body.
    """
    authorization = headers.get("authorization", "")
    if not authorization.startswith("SDK-HMAC-SHA256"):
        return authenticate(
            method=method,
            raw_path=raw_path,
            query=query,
            headers=headers,
            raw_headers=raw_headers,
            body=b"",
            project_id=project_id,
            settings=settings,
        )
    # The one failure the body could still cure is the signature's match: it covers the body's hash.
    _verify_signature(method, raw_path, query, raw_headers, b"", settings, body_pending=True)
    _check_project(headers, project_id, settings, signed=True)
    return None


def _verify_token(token: str | None, settings: EmulatorSettings) -> None:
    if not token:
        raise Refusal(_APIG_AUTH, suffix="x-auth-token not found",
                      reason="neither an X-Auth-Token header nor an SDK-HMAC-SHA256 Authorization header")  # fmt: skip
    if token in settings.tokens:
        return
    expired = settings.expired_map
    if token in expired:
        raise Refusal(_APIG_AUTH, suffix=f"token expires, expires_at: {expired[token]}",
                      reason="the token is one of the emulator's expired_tokens")  # fmt: skip
    raise Refusal(_APIG_AUTH, suffix="decrypt token fail", reason="the token is none of the emulator's tokens")


def _verify_signature(
    method: str,
    raw_path: str,
    query: str,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
    settings: EmulatorSettings,
    *,
    body_pending: bool = False,
) -> str:
    """Verify the signature; return its access key ("" when only the body's hash is left to check)."""
    from pytest_idclassify.client import RejectReason, verify_aksk

    try:
        identity = verify_aksk(
            method,
            raw_path,
            query,
            list(headers),
            body,
            credentials=settings.credential_map,
            max_skew=timedelta(seconds=settings.max_clock_skew_seconds),
        )
    except SignatureRejected as exc:
        if body_pending and exc.reason == RejectReason.BAD_SIGNATURE:
            return ""
        raise Refusal(_APIG_AUTH, suffix="verify aksk signature fail", reason=str(exc)) from None
    return identity.access_key
