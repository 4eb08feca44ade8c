"""ICAO 9303 machine-readable zone of a TD3 (passport) data page.

The check digit of a field is the sum of its character values times the repeating weights
7, 3, 1, modulo 10, where ``0``-``9`` count as themselves, ``A``-``Z`` as 10-35 and the filler
``<`` as 0 (ICAO Doc 9303 part 3, section 4.9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_idclassify.errors import ImageSpecError

#: Characters an MRZ may contain.
MRZ_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"

#: Characters per line of a TD3 MRZ.
TD3_LINE_LENGTH = 44

_WEIGHTS = (7, 3, 1)
_DATE = re.compile(r"[0-9]{6}")


def _char_value(char: str) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ImageSpecError(
        f"MRZ character {char!r} is not allowed: an MRZ holds only 0-9, A-Z and the filler '<'; "
        "transliterate the value first"
    )


def check_digit(field: str) -> str:
    """Return the ICAO 9303 check digit (``"0"``-``"9"``) of an MRZ field.

    Raises:
        ImageSpecError: the field holds a character outside ``0-9``, ``A-Z`` and ``<``.

    """
    total = sum(_char_value(char) * _WEIGHTS[index % 3] for index, char in enumerate(field))
    return str(total % 10)


def _field(value: str, length: int, name: str) -> str:
    value = value.upper().replace(" ", "<")
    if len(value) > length:
        raise ImageSpecError(f"MRZ {name} {value!r} has {len(value)} characters; the field holds at most {length}")
    for char in value:
        _char_value(char)
    return value.ljust(length, "<")


def _date(value: str, name: str) -> str:
    if not _DATE.fullmatch(value):
        raise ImageSpecError(f"MRZ {name} {value!r} is not a YYMMDD date of six digits, e.g. '740812'")
    return value


@dataclass(frozen=True)
class TD3Data:
    """The fields of a TD3 machine-readable zone, before check digits are added.

    Names and numbers are upper-cased; spaces become fillers.  ``birth_date`` and ``expiry_date``
    are ``YYMMDD``; ``sex`` is ``M``, ``F`` or ``<``.
    """

    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str
    expiry_date: str
    personal_number: str = ""
    document_code: str = "P"


def td3_lines(data: TD3Data) -> tuple[str, str]:
    """Compose the two 44-character lines of a TD3 MRZ with their ICAO 9303 check digits.

    Raises:
        ImageSpecError: a field is too long, holds a character an MRZ cannot hold, or a date is not ``YYMMDD``.

    """
    if data.sex not in ("M", "F", "<"):
        raise ImageSpecError(f"MRZ sex {data.sex!r} must be 'M', 'F' or '<' (unspecified)")
    names = _field(data.surname, 39, "surname").rstrip("<")
    given = _field(data.given_names, 39, "given names").rstrip("<")
    name_field = _field(f"{names}<<{given}" if given else names, 39, "name (surname<<given names)")
    line1 = _field(data.document_code, 2, "document code") + _field(data.issuing_state, 3, "issuing state") + name_field

    number = _field(data.document_number, 9, "document number")
    birth = _date(data.birth_date, "birth date")
    expiry = _date(data.expiry_date, "expiry date")
    personal = _field(data.personal_number, 14, "personal number")
    # ICAO 9303 lets an unused personal number carry '<' as its check digit.
    personal_check = "<" if personal == "<" * 14 else check_digit(personal)
    line2 = (
        number
        + check_digit(number)
        + _field(data.nationality, 3, "nationality")
        + birth
        + check_digit(birth)
        + data.sex
        + expiry
        + check_digit(expiry)
        + personal
        + personal_check
    )
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    line2 += check_digit(composite)
    return line1, line2


def verify_td3(line1: str, line2: str) -> list[str]:
    """Return the names of the TD3 check digits that do not match their fields (empty when all hold).

    Raises:
        ImageSpecError: a line is not 44 characters long or holds a character an MRZ cannot hold.

    """
    for index, line in enumerate((line1, line2), start=1):
        if len(line) != TD3_LINE_LENGTH:
            raise ImageSpecError(f"TD3 MRZ line {index} {line!r} has {len(line)} characters; it must have 44")
        for char in line:
            _char_value(char)
    checks = {
        "document number": (line2[0:9], line2[9]),
        "birth date": (line2[13:19], line2[19]),
        "expiry date": (line2[21:27], line2[27]),
        "personal number": (line2[28:42], line2[42]),
        "composite": (line2[0:10] + line2[13:20] + line2[21:43], line2[43]),
    }
    failed = []
    for name, (field, digit) in checks.items():
        if name == "personal number" and field == "<" * 14 and digit == "<":
            continue
        if check_digit(field) != digit:
            failed.append(name)
    return failed
