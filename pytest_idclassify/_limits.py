"""The documented size limits as plain numbers, importable without loading the catalogue.

The catalogue states each limit's clause and source; image synthesis needs only the numbers, and
importing them from here keeps a flat image's start-up free of the documented tables.
"""

from __future__ import annotations

#: the two readings of "10 MB" of base64 characters.
BASE64_LIMIT_DECIMAL = 10_000_000
BASE64_LIMIT_BINARY = 10_485_760
