"""Exceptions raised by pytest-idclassify.

Every exception the toolkit raises on purpose derives from :class:`IdClassifyError`, so a caller
can catch the toolkit's problems in one place and let everything else through.  Each message says
what happened, shows the offending value, and points to the fix.

The hierarchy::

    IdClassifyError
    ├── TableError            a documented table under schemas/source/ is missing or malformed
    ├── SchemaStaleError      a committed generated file differs from what the generator writes
    ├── ImageSpecError        an image recipe or encoder argument is out of range
    ├── ImageProbeError       bytes are not an image whose size can be read from its header
    ├── StrategyArgumentError a strategy or case-builder argument names an unknown kind or is out of range
    ├── ConfigurationError    a setting (endpoint, project id, credentials...) is missing or invalid
    │   ├── CalibrationError  a calibration file is missing, unreadable, or holds an entry that cannot be used
    │   ├── StubError         an emulator stub is malformed or its answer breaks the contract
    │   └── UploadHookError   the user's upload hook raised or returned no http(s) URL
    ├── SigningError          a request cannot be signed or a signature cannot be parsed
    │   └── SignatureRejected an AK/SK signature does not verify (unknown AK, bad signature, skew...)
    ├── BudgetExceededError   a run would make more live calls than its call budget allows
    ├── TransportError        the target could not be reached after the allowed retries
    │   ├── CallTimeoutError      a call (retries and slow answers included) ran out of time
    │   ├── ResponseTooLargeError an answer is larger than allowed, on the wire or once decompressed
    │   └── ResponseTooDeepError  an answer nests JSON deeper than allowed
    ├── CassetteError         a cassette is missing, unreadable, or has no match for a request
    │   └── CassetteMissError no recorded interaction matches a request sent in replay
    └── RecognitionError      the emulator's recognition engine cannot read an image or find a document
        ├── UndecodableImage  (pytest_idclassify.emulator._vision) the bytes are not a decodable image
        └── NoDocumentFound   (pytest_idclassify.emulator._vision) no document-like quadrilateral in the image
"""

from __future__ import annotations


class IdClassifyError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class TableError(IdClassifyError):
    """A documented table under ``schemas/source/`` is missing or malformed."""


class SchemaStaleError(IdClassifyError):
    """A committed generated file is not what the generator would write now."""


class ImageSpecError(IdClassifyError, ValueError):
    """An image recipe or encoder argument is out of range (side, format, severity, size...)."""


class ImageProbeError(IdClassifyError, ValueError):
    """Bytes are not an image whose format and size can be read from its header."""


class StrategyArgumentError(IdClassifyError, ValueError):
    """A strategy or case-builder argument names an unknown kind or is out of range; raised when it is built."""


class ConfigurationError(IdClassifyError):
    """A setting is missing or invalid; the message names the setting and its variable."""


class CalibrationError(ConfigurationError):
    """A calibration file is missing, unreadable, of another format, or holds an entry that cannot be used.

    The message names the file, the entry and the fix.
    """


class StubError(ConfigurationError):
    """An emulator stub is malformed, or its answer breaks the contract (the message names the clause)."""


class UploadHookError(ConfigurationError):
    """The user's upload hook raised, or returned something other than an http(s) URL.

    The target was not called: the fault is the hook's, and the run stops naming it rather than
    count every URL case against the server.
    """


class SigningError(IdClassifyError):
    """A request cannot be signed, or an ``Authorization`` header cannot be parsed."""


class SignatureRejected(SigningError):
    """An AK/SK-signed request does not verify.

    ``reason`` is the internal cause for logs (unknown access key, bad signature, date skew,
    missing header, malformed ``Authorization``); ``gateway_message`` is what the API gateway
    answers for every one of them (``APIG.0301``).
    """

    #: The error code the API gateway answers with for a rejected signature.
    error_code = "APIG.0301"
    #: The exact message the API gateway answers with for a rejected signature.
    gateway_message = "Incorrect IAM authentication information: verify aksk signature fail"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{self.gateway_message} ({reason}: {detail})")
        self.reason = reason
        self.detail = detail


class BudgetExceededError(IdClassifyError):
    """A run would exceed its call budget: the call was not sent."""


class TransportError(IdClassifyError):
    """The target could not be reached, even after the allowed retries.

    ``original`` is the last low-level error (an :class:`httpx.ConnectError`, a timeout...), kept
    so that a caller can tell a refused connection from a TLS failure without a long traceback.
    """

    def __init__(self, message: str, original: BaseException | None = None) -> None:
        super().__init__(message)
        self.original = original


class CallTimeoutError(TransportError):
    """A call did not end in time: an attempt past ``timeout``, or the whole call past ``call_timeout``.

    Both are wall-clock totals, so a server that drips its answer a byte at a time cannot stretch them.
    """


class ResponseTooLargeError(TransportError):
    """An answer is larger than ``max_response_bytes`` on the wire, or ``max_decoded_bytes`` decompressed.

    Reading stops at the limit: the rest of the answer is never buffered.
    """


class ResponseTooDeepError(TransportError):
    """An answer's JSON nests arrays and objects deeper than ``max_json_depth``; it is not parsed."""


class CassetteError(IdClassifyError):
    """A cassette is missing or unreadable, or holds no match for a request."""


class CassetteMissError(CassetteError):
    """A request sent while replaying matches no recorded interaction (the network stays blocked).

    The message names the request (data as its digest), the closest recorded one with the fields
    that differ, and the command that re-records the cassette.
    """


class RecognitionError(IdClassifyError):
    """The emulator's recognition engine cannot read an image, or finds no document in it."""
