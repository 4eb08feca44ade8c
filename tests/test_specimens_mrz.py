from __future__ import annotations

import pytest

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._mrz import TD3Data, check_digit, td3_lines, verify_td3

# ICAO Doc 9303 part 4, appendix A: the published TD3 specimen.
ICAO_LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
ICAO_LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
ICAO_DATA = TD3Data(
    issuing_state="UTO",
    surname="ERIKSSON",
    given_names="ANNA MARIA",
    document_number="L898902C3",
    nationality="UTO",
    birth_date="740812",
    sex="F",
    expiry_date="120415",
    personal_number="ZE184226B",
)


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        ("L898902C3", "6"),
        ("740812", "2"),
        ("120415", "9"),
        ("ZE184226B<<<<<", "1"),
        ("L898902C36" + "7408122" + "1204159ZE184226B<<<<<1", "0"),
        ("", "0"),
        ("<<<<", "0"),
    ],
)
def test_check_digits_of_the_icao_specimen(field: str, digit: str) -> None:
    assert check_digit(field) == digit


def test_td3_lines_reproduce_the_icao_specimen() -> None:
    assert td3_lines(ICAO_DATA) == (ICAO_LINE1, ICAO_LINE2)


def test_verify_accepts_the_icao_specimen_and_names_each_broken_digit() -> None:
    assert verify_td3(ICAO_LINE1, ICAO_LINE2) == []
    broken_number = ICAO_LINE2[:9] + "7" + ICAO_LINE2[10:]
    assert verify_td3(ICAO_LINE1, broken_number) == ["document number", "composite"]
    broken_birth = ICAO_LINE2[:19] + "3" + ICAO_LINE2[20:]
    assert verify_td3(ICAO_LINE1, broken_birth) == ["birth date", "composite"]
    broken_composite = ICAO_LINE2[:43] + "1"
    assert verify_td3(ICAO_LINE1, broken_composite) == ["composite"]


def test_lines_are_44_characters_and_an_empty_personal_number_takes_a_filler_digit() -> None:
    data = TD3Data("UTO", "SPECIMEN", "SAMPLE", "X1234567", "UTO", "800101", "M", "300101")
    line1, line2 = td3_lines(data)
    assert len(line1) == len(line2) == 44
    assert line2[28:43] == "<" * 15
    assert verify_td3(line1, line2) == []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"surname": "ÉRIKSSON"}, "not allowed"),
        ({"document_number": "1234567890"}, "at most 9"),
        ({"birth_date": "7408"}, "YYMMDD"),
        ({"sex": "X"}, "'M', 'F' or '<'"),
        ({"surname": "A" * 40}, "at most 39"),
    ],
)
def test_bad_fields_are_refused_with_the_value(change: dict[str, str], match: str) -> None:
    fields = {**ICAO_DATA.__dict__, **change}
    with pytest.raises(ImageSpecError, match=match):
        td3_lines(TD3Data(**fields))


def test_verify_refuses_a_short_line() -> None:
    with pytest.raises(ImageSpecError, match="44"):
        verify_td3(ICAO_LINE1[:-1], ICAO_LINE2)
