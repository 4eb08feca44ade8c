"""Exceptions raised by pytest-idclassify.

Every exception the toolkit raises on purpose derives from :class:`IdClassifyError`, so a caller
can catch the toolkit's problems in one place and let everything else through.  Each message says
what happened, shows the offending value, and points to the fix.

The hierarchy::

    IdClassifyError
    ├── TableError            a documented table under schemas/source/ is missing or malformed
    ├── SchemaStaleError      a committed generated file differs from what the generator writes
    ├── ImageSpecError        an image recipe or encoder argument is out of range
    ├── ConfigurationError    a setting (endpoint, project id, credentials...) is missing or invalid
    ├── SigningError          a request cannot be signed or a signature cannot be parsed
    ├── BudgetExceededError   a run would make more live calls than its call budget allows
    ├── TransportError        the target could not be reached after the allowed retries
    └── CassetteError         a cassette is missing, unreadable, or has no match for a request
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


class ConfigurationError(IdClassifyError):
    """A setting is missing or invalid; the message names the setting and its variable."""


class SigningError(IdClassifyError):
    """A request cannot be signed, or an ``Authorization`` header cannot be parsed."""


class BudgetExceededError(IdClassifyError):
    """A run would exceed its call budget: the call was not sent."""


class TransportError(IdClassifyError):
    """The target could not be reached, even after the allowed retries."""


class CassetteError(IdClassifyError):
    """A cassette is missing or unreadable, or holds no match for a request."""
