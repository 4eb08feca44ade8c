"""The nine specimen layouts, one function per document type.

Each layout gives its type a large-scale luminance signature (where the dark bands, the portrait,
the seal, the chip and the machine-readable zone sit) that survives blur, darkness and the loss of
colour, plus its own colour scheme.  docs/explanation/specimens.md tabulates the signatures.
Every name, number and date is fictitious: surnames are ``SPECIMEN``/``SAMPLE``-like words and
numbers are seeded digits behind an obviously fake prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pytest_idclassify.images._cards._canvas import RGB, Canvas
from pytest_idclassify.images._mrz import TD3Data, td3_lines

#: Card sizes in millimetres: ISO/IEC 7810 ID-1 and the ICAO 9303 TD3 passport data page.
ID1_MM = (85.60, 53.98)
TD3_MM = (125.0, 88.0)

_WHITE: RGB = (250, 250, 246)
_INK: RGB = (34, 34, 40)
_LABEL: RGB = (96, 96, 104)
_PHOTO_BACKDROP: RGB = (150, 156, 166)
_PHOTO_FIGURE: RGB = (52, 54, 62)

_SURNAMES = ("SPECIMEN", "SAMPLE", "EXAMPLE", "MUSTER", "MODELO")
_GIVEN = ("TEST", "DEMO", "SAMPLE", "PLACEHOLDER", "FICTIVE")


@dataclass(frozen=True)
class FakeHolder:
    """Fictitious holder data drawn from a seed: obviously fake names, numbers and dates."""

    surname: str
    given: str
    digits: str
    birth: str
    expiry: str
    sex: str

    @classmethod
    def from_seed(cls, seed: int) -> FakeHolder:
        """Draw the holder for ``seed``; the same seed gives the same holder."""
        rng = np.random.default_rng([seed, 7810])
        day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
        year = int(rng.integers(50, 99))
        return cls(
            surname=_SURNAMES[int(rng.integers(len(_SURNAMES)))],
            given=_GIVEN[int(rng.integers(len(_GIVEN)))],
            digits="".join(str(d) for d in rng.integers(0, 10, 12)),
            birth=f"{year:02d}{month:02d}{day:02d}",
            expiry=f"{int(rng.integers(30, 40)):02d}{month:02d}{day:02d}",
            sex="F" if rng.integers(2) else "M",
        )

    def date(self, yymmdd: str) -> str:
        """Format a ``YYMMDD`` date as ``DD.MM.YY``."""
        return f"{yymmdd[4:6]}.{yymmdd[2:4]}.{yymmdd[0:2]}"


@dataclass(frozen=True)
class Layout:
    """How one document type is drawn: its size, its colours and its drawing function."""

    size_mm: tuple[float, float]
    base: RGB
    accent: RGB
    draw: Callable[[Canvas, FakeHolder, RGB], None]


def _field(c: Canvas, x: float, y: float, label: str, value: str, *, size: float = 2.4) -> None:
    c.text(x, y, label, size * 0.55, _LABEL)
    c.text(x, y + size * 1.25, value, size, _INK, bold=True)


def _peru(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.rect(2.5, 2.5, 83.1, 13.0, accent, radius=1.0)
    c.text(5.0, 7.4, "REPUBLICA DEL PERU", 2.6, _WHITE, bold=True)
    c.text(5.0, 11.4, "SPECIMEN - DOCUMENTO NACIONAL DE IDENTIDAD", 1.6, _WHITE)
    c.photo(4.0, 16.0, 28.0, 46.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 31.0, 19.0, "PRIMER APELLIDO", h.surname)
    _field(c, 31.0, 26.5, "PRENOMBRES", h.given)
    _field(c, 31.0, 34.0, "FECHA DE NACIMIENTO", h.date(h.birth))
    _field(c, 31.0, 41.5, "SEXO", h.sex)
    c.text(4.0, 50.8, f"DNI 0{h.digits[:7]}-0  SPECIMEN", 2.4, accent, bold=True)


def _cambodia(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.rect(2.5, 2.5, 14.0, 51.5, accent, radius=1.0)
    for y in (10.0, 27.0, 44.0):
        c.disc(8.25, y, 3.6, _WHITE, thickness=0.6)
        c.disc(8.25, y, 1.4, _WHITE)
    c.text(17.0, 7.5, "KINGDOM OF CAMBODIA", 2.5, accent, bold=True)
    c.text(17.0, 11.0, "IDENTITY CARD - SPECIMEN", 1.7, accent)
    c.photo(60.0, 12.0, 82.0, 42.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 17.0, 16.5, "ID NO", f"0{h.digits[:8]}")
    _field(c, 17.0, 24.0, "NAME", f"{h.surname} {h.given}")
    _field(c, 17.0, 31.5, "DATE OF BIRTH", h.date(h.birth))
    _field(c, 17.0, 39.0, "SEX", h.sex)
    c.text(17.0, 50.0, f"EXPIRY {h.date(h.expiry)}", 1.8, _INK)


def _hongkong(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.emblem(16.0, 17.0, 11.5, accent, _WHITE)
    c.text(30.0, 7.5, "HONG KONG IDENTITY CARD", 2.4, accent, bold=True)
    c.text(30.0, 11.0, "SPECIMEN - NOT VALID", 1.7, accent)
    c.photo(57.0, 14.0, 82.0, 49.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 30.0, 16.0, "SURNAME", h.surname, size=2.2)
    _field(c, 30.0, 24.0, "GIVEN NAMES", h.given, size=2.2)
    _field(c, 4.0, 34.0, "DATE OF BIRTH", h.date(h.birth), size=2.2)
    _field(c, 30.0, 34.0, "SEX", h.sex, size=2.2)
    c.text(4.0, 48.5, f"Z{h.digits[:6]}(0)", 3.4, _INK, bold=True)


def _macao(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.photo(4.0, 5.0, 26.0, 37.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    c.chip(66.0, 6.0, 80.0, 17.0)
    c.text(29.0, 7.0, "MACAO SAR", 2.6, accent, bold=True)
    c.text(29.0, 10.5, "RESIDENT IDENTITY CARD - SPECIMEN", 1.5, accent)
    _field(c, 29.0, 15.5, "NAME", h.surname)
    _field(c, 29.0, 23.0, "GIVEN NAME", h.given)
    _field(c, 29.0, 30.5, "DATE OF BIRTH", h.date(h.birth))
    c.rect(2.5, 40.5, 83.1, 51.5, accent, radius=1.0)
    c.text(5.0, 47.8, f"1{h.digits[:6]}(0)  SPECIMEN", 3.2, _WHITE, bold=True)


def _myanmar_dl(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.rect(2.5, 2.5, 83.1, 11.0, accent, radius=1.0)
    c.text(5.0, 8.4, "MYANMAR DRIVING LICENCE - SPECIMEN", 2.5, _WHITE, bold=True)
    c.photo(60.0, 14.0, 81.0, 42.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 4.0, 16.0, "LICENCE NO", f"X/{h.digits[:5]}/00")
    _field(c, 4.0, 23.5, "NAME", f"{h.surname} {h.given}")
    _field(c, 4.0, 31.0, "DATE OF BIRTH", h.date(h.birth))
    _field(c, 32.0, 31.0, "VALID UNTIL", h.date(h.expiry))
    c.rect(2.5, 44.5, 83.1, 51.5, accent, radius=1.0)
    c.text(5.0, 49.5, "CLASS A  B  -  SPECIMEN ONLY", 2.2, _WHITE, bold=True)


def _myanmar_id(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.photo(4.0, 5.0, 25.0, 33.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    c.rect(71.0, 2.5, 83.1, 51.5, accent, radius=1.0)
    c.emblem(77.05, 12.0, 4.6, accent, _WHITE)
    c.text(28.0, 7.0, "MYANMAR CITIZEN", 2.5, accent, bold=True)
    c.text(28.0, 10.5, "SCRUTINY CARD - SPECIMEN", 1.6, accent)
    _field(c, 28.0, 15.0, "NAME", h.surname)
    _field(c, 28.0, 22.5, "CARD NO", f"00/XXX(N){h.digits[:6]}")
    _field(c, 28.0, 30.0, "DATE OF BIRTH", h.date(h.birth))
    c.rect(4.0, 38.5, 68.0, 42.5, accent, radius=0.6)
    c.rect(4.0, 45.5, 68.0, 49.5, accent, radius=0.6)
    c.text(5.5, 41.6, "SPECIMEN  SPECIMEN", 2.2, _WHITE, bold=True)


def _passport(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.rect(3.0, 3.0, 122.0, 13.0, accent, radius=1.2)
    c.text(6.0, 10.0, "PASSPORT  PASSEPORT", 3.6, _WHITE, bold=True)
    c.text(80.0, 10.0, "SPECIMEN", 3.6, _WHITE, bold=True)
    c.photo(5.0, 17.0, 40.0, 62.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 45.0, 19.0, "TYPE / CODE / PASSPORT NO", f"P  UTO  X{h.digits[:8]}", size=3.0)
    _field(c, 45.0, 28.0, "SURNAME", h.surname, size=3.0)
    _field(c, 45.0, 37.0, "GIVEN NAMES", h.given, size=3.0)
    _field(c, 45.0, 46.0, "DATE OF BIRTH", h.date(h.birth), size=3.0)
    _field(c, 88.0, 46.0, "SEX", h.sex, size=3.0)
    _field(c, 45.0, 55.0, "DATE OF EXPIRY", h.date(h.expiry), size=3.0)
    c.rect(0.0, 65.0, 125.0, 88.0, _WHITE)
    line1, line2 = td3_lines(
        TD3Data(
            issuing_state="UTO",
            surname=h.surname,
            given_names=h.given,
            document_number=f"X{h.digits[:8]}",
            nationality="UTO",
            birth_date=h.birth,
            sex=h.sex,
            expiry_date=h.expiry,
        )
    )
    c.mono(6.0, 75.0, line1, 2.54, 2.6, _INK)
    c.mono(6.0, 83.5, line2, 2.54, 2.6, _INK)


def _thailand(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.rect(2.5, 2.5, 83.1, 8.5, accent, radius=1.0)
    c.text(5.0, 7.0, "THAI NATIONAL ID CARD - SPECIMEN", 2.2, _WHITE, bold=True)
    c.text(22.0, 14.0, f"0 {h.digits[:4]} {h.digits[4:9]} 00 0", 2.6, _INK, bold=True)
    c.chip(4.0, 18.0, 18.0, 30.0)
    c.photo(62.0, 20.0, 82.0, 48.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 22.0, 19.0, "NAME", f"{h.given} {h.surname}", size=2.2)
    _field(c, 22.0, 26.5, "DATE OF BIRTH", h.date(h.birth), size=2.2)
    _field(c, 22.0, 34.0, "DATE OF EXPIRY", h.date(h.expiry), size=2.2)
    c.disc(12.0, 43.0, 6.5, accent, thickness=0.8)
    c.disc(12.0, 43.0, 3.0, accent, thickness=0.5)


def _china(c: Canvas, h: FakeHolder, accent: RGB) -> None:
    c.photo(58.0, 5.0, 81.0, 34.0, _PHOTO_BACKDROP, _PHOTO_FIGURE)
    _field(c, 4.0, 7.0, "NAME", h.surname, size=2.3)
    _field(c, 4.0, 14.0, "SEX", h.sex, size=2.3)
    _field(c, 22.0, 14.0, "ETHNICITY", "SAMPLE", size=2.3)
    _field(c, 4.0, 21.0, "BIRTH", h.date(h.birth), size=2.3)
    _field(c, 4.0, 28.0, "ADDRESS", "1 SPECIMEN ROAD, SAMPLE CITY", size=2.0)
    c.rect(3.0, 40.0, 62.0, 47.5, accent, radius=0.8)
    c.text(5.0, 45.5, f"000000{h.digits[:8]}000X", 3.0, _WHITE, bold=True)
    c.text(64.0, 45.5, "SPECIMEN", 2.0, accent, bold=True)


#: Layouts in the API page's order of document types.
LAYOUTS: dict[str, Layout] = {
    "peru_id_card": Layout(ID1_MM, (236, 222, 216), (132, 34, 46), _peru),
    "cambodian_id_card": Layout(ID1_MM, (214, 228, 242), (28, 54, 122), _cambodia),
    "hongkong_id_card": Layout(ID1_MM, (230, 222, 240), (82, 46, 122), _hongkong),
    "macao_id_card": Layout(ID1_MM, (216, 238, 222), (20, 96, 66), _macao),
    "myanmar_driver_license": Layout(ID1_MM, (244, 232, 196), (150, 80, 20), _myanmar_dl),
    "myanmar_id_card": Layout(ID1_MM, (240, 216, 230), (116, 30, 86), _myanmar_id),
    "passport": Layout(TD3_MM, (238, 234, 220), (34, 66, 82), _passport),
    "thailand_id_card": Layout(ID1_MM, (224, 232, 246), (172, 50, 92), _thailand),
    "id_card": Layout(ID1_MM, (228, 238, 242), (46, 88, 132), _china),
}
