"""The amount in words (TgTTTBChu): a hand-written table, error cases, and a round-trip property.

The round trip reads the words back with ``parse_words`` below, a small parser written for this
test only and sharing nothing with ``einvoice.domain.words``; it also enforces the grammar the
module promises (mốt/tư/lăm, linh, "không trăm" in every group after the first).
"""

import unicodedata
from decimal import Context, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from einvoice.domain.words import amount_in_words

VND_CASES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (2, "Hai đồng"),
    (3, "Ba đồng"),
    (4, "Bốn đồng"),
    (5, "Năm đồng"),
    (6, "Sáu đồng"),
    (7, "Bảy đồng"),
    (8, "Tám đồng"),
    (9, "Chín đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (31, "Ba mươi mốt đồng"),
    (44, "Bốn mươi tư đồng"),
    (55, "Năm mươi lăm đồng"),
    (90, "Chín mươi đồng"),
    (99, "Chín mươi chín đồng"),
    (100, "Một trăm đồng"),
    (101, "Một trăm linh một đồng"),
    (104, "Một trăm linh bốn đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (111, "Một trăm mười một đồng"),
    (114, "Một trăm mười bốn đồng"),
    (115, "Một trăm mười lăm đồng"),
    (121, "Một trăm hai mươi mốt đồng"),
    (200, "Hai trăm đồng"),
    (999, "Chín trăm chín mươi chín đồng"),
    (1000, "Một nghìn đồng"),
    (1001, "Một nghìn không trăm linh một đồng"),
    (1005, "Một nghìn không trăm linh năm đồng"),
    (1010, "Một nghìn không trăm mười đồng"),
    (1015, "Một nghìn không trăm mười lăm đồng"),
    (1100, "Một nghìn một trăm đồng"),
    (1234, "Một nghìn hai trăm ba mươi tư đồng"),
    (10000, "Mười nghìn đồng"),
    (10500, "Mười nghìn năm trăm đồng"),
    (15000, "Mười lăm nghìn đồng"),
    (20000, "Hai mươi nghìn đồng"),
    (21000, "Hai mươi mốt nghìn đồng"),
    (100000, "Một trăm nghìn đồng"),
    (105000, "Một trăm linh năm nghìn đồng"),
    (500000, "Năm trăm nghìn đồng"),
    (1000000, "Một triệu đồng"),
    (1000005, "Một triệu không trăm linh năm đồng"),
    (1050000, "Một triệu không trăm năm mươi nghìn đồng"),
    (1284000, "Một triệu hai trăm tám mươi tư nghìn đồng"),
    (1700000, "Một triệu bảy trăm nghìn đồng"),
    (11685000, "Mười một triệu sáu trăm tám mươi lăm nghìn đồng"),
    (25000000, "Hai mươi lăm triệu đồng"),
    (100000000, "Một trăm triệu đồng"),
    (1000000000, "Một tỷ đồng"),
    (1000000001, "Một tỷ không trăm linh một đồng"),
    (1000050000, "Một tỷ không trăm năm mươi nghìn đồng"),
    (1001000000, "Một tỷ không trăm linh một triệu đồng"),
    (2500000000, "Hai tỷ năm trăm triệu đồng"),
    (1000000000000, "Một nghìn tỷ đồng"),
    (1200000000000, "Một nghìn hai trăm tỷ đồng"),
    (1005000000000, "Một nghìn không trăm linh năm tỷ đồng"),
    (1000000000015, "Một nghìn tỷ không trăm mười lăm đồng"),
    (1000000000000000, "Một triệu tỷ đồng"),
    (
        123456789012345,
        "Một trăm hai mươi ba nghìn bốn trăm năm mươi sáu tỷ bảy trăm tám mươi chín triệu"
        " không trăm mười hai nghìn ba trăm bốn mươi lăm đồng",
    ),
    (
        999999999999999,
        "Chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ chín trăm chín mươi chín"
        " triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng",
    ),
    (
        999999999999999999,
        "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín"
        " tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi"
        " chín đồng",
    ),
    (-1, "Âm một đồng"),
    (-1005, "Âm một nghìn không trăm linh năm đồng"),
    (-500000, "Âm năm trăm nghìn đồng"),
    (-21000000, "Âm hai mươi mốt triệu đồng"),
]

OTHER_CASES = [
    ("1700000.00", "VND", "Một triệu bảy trăm nghìn đồng"),
    ("-0", "VND", "Không đồng"),
    ("13800.25", "USD", "Mười ba nghìn tám trăm đô la Mỹ và hai mươi lăm xen"),
    ("100", "USD", "Một trăm đô la Mỹ"),
    ("100.00", "USD", "Một trăm đô la Mỹ"),
    ("0", "USD", "Không đô la Mỹ"),
    ("0.05", "USD", "Không đô la Mỹ và năm xen"),
    ("1.01", "USD", "Một đô la Mỹ và một xen"),
    ("21.21", "USD", "Hai mươi mốt đô la Mỹ và hai mươi mốt xen"),
    ("-1250.75", "USD", "Âm một nghìn hai trăm năm mươi đô la Mỹ và bảy mươi lăm xen"),
    ("12.5", "EUR", "Mười hai euro và năm mươi xen"),
    ("1000.1", "GBP", "Một nghìn bảng Anh và mười xu"),
    ("15000", "JPY", "Mười lăm nghìn yên Nhật"),
    ("100.0", "JPY", "Một trăm yên Nhật"),
    ("88.88", "CNY", "Tám mươi tám nhân dân tệ và tám mươi tám xu"),
    ("1500000", "KRW", "Một triệu năm trăm nghìn won"),
    ("2.99", "SGD", "Hai đô la Singapore và chín mươi chín xen"),
    ("105.04", "AUD", "Một trăm linh năm đô la Úc và bốn xen"),
]

ERROR_CASES = [
    (1.0, "VND", TypeError, "float"),
    (1000, "VND", TypeError, "int"),
    ("1000", "VND", TypeError, "str"),
    (Decimal("1.5"), "VND", ValueError, "fractional"),
    (Decimal("0.01"), "VND", ValueError, "fractional"),
    (Decimal("100.5"), "JPY", ValueError, "fractional"),
    (Decimal("1.5"), "KRW", ValueError, "fractional"),
    (Decimal("1.001"), "USD", ValueError, "2 decimals"),
    (Decimal("13800.255"), "EUR", ValueError, "2 decimals"),
    (Decimal("1"), "XYZ", ValueError, "XYZ"),
    (Decimal("1"), "usd", ValueError, "usd"),
    (Decimal("NaN"), "VND", ValueError, "finite"),
    (Decimal("-Infinity"), "VND", ValueError, "finite"),
    (Decimal(10**18), "VND", ValueError, "too large"),
    (Decimal(-(10**18)), "USD", ValueError, "too large"),
]


_DIGIT = {"không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4}
_DIGIT |= {"năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
_SCALE = {"nghìn": 10**3, "triệu": 10**6, "tỷ": 10**9}


def parse_words(text: str, unit: str = "đồng", minor: str = "") -> Decimal:
    """Read back an amount in words, checking the grammar on the way (test-only parser)."""
    assert text[0].isupper()
    body = text[0].lower() + text[1:]
    sign = -1 if body.startswith("âm ") else 1
    body = body.removeprefix("âm ")
    whole_text, _, minor_text = body.partition(" và ")
    assert whole_text.endswith(" " + unit)
    value = Decimal(_parse_integer(whole_text.removesuffix(" " + unit).split(" ")))
    if minor_text:
        assert minor_text.endswith(" " + minor)
        cents = _parse_integer(minor_text.removesuffix(" " + minor).split(" "))
        assert 0 < cents < 100
        value += Decimal(cents) / 100
    return sign * value


def _parse_integer(tokens: list[str]) -> int:
    """Turn number words into an int; scales compose, so "một nghìn tỷ" is 10^12."""
    if tokens == ["không"]:
        return 0
    assert tokens[0] != "không", "only a later group may start with 'không trăm'"
    done: list[int] = []  # scaled parts read so far, largest first
    group, pending, prev = 0, -1, ""  # pending: a digit waiting for trăm/mươi/a scale/the end
    said_hundreds = first_group = True
    for token in tokens:
        if token in _DIGIT and prev in ("mươi", "mười", "linh"):
            digit = _DIGIT[token]
            assert digit != 0
            assert prev == "linh" or digit != 5, "5 after tens is lăm"
            assert prev != "mươi" or digit not in (1, 4), "mốt and tư after tens >= 20"
            group += digit
        elif token in _DIGIT:
            assert pending == -1
            pending = _DIGIT[token]
        elif token in ("mốt", "tư", "lăm"):
            assert prev == "mươi" or (token == "lăm" and prev == "mười")
            group += {"mốt": 1, "tư": 4, "lăm": 5}[token]
        elif token == "trăm":
            assert group == 0
            assert pending >= 0
            group, pending, said_hundreds = pending * 100, -1, True
        elif token == "mươi":
            assert pending >= 2
            group, pending = group + pending * 10, -1
        elif token == "mười":
            assert pending == -1
            assert group % 100 == 0
            group += 10
        elif token == "linh":
            assert prev == "trăm"
        else:
            multiplier = _SCALE[token]
            group, pending = _flush(group, pending), -1
            if group:
                assert first_group or said_hundreds, "a later group must say its hundreds"
                first_group, said_hundreds = False, False
            else:
                assert prev in ("nghìn", "triệu"), "an empty group is only a compound scale"
            while done and done[-1] < multiplier:
                group += done.pop()
            done.append(group * multiplier)
            group = 0
        prev = token
    assert prev != "linh"
    group = _flush(group, pending)
    if group:
        assert first_group or said_hundreds, "a later group must say its hundreds"
    return sum(done) + group


def _flush(group: int, pending: int) -> int:
    """Add a digit left waiting (a bare unit) to the group being read."""
    if pending == -1:
        return group
    assert pending != 0, "'không' is only said before 'trăm'"
    return group + pending


@pytest.mark.parametrize(("amount", "expected"), VND_CASES)
def test_vnd_amount_reads_as_written(amount: int, expected: str) -> None:
    """A VND amount reads exactly as the table says."""
    assert amount_in_words(Decimal(amount)) == expected


@pytest.mark.parametrize(("amount", "currency", "expected"), OTHER_CASES)
def test_other_amount_reads_as_written(amount: str, currency: str, expected: str) -> None:
    """Foreign currencies, trailing zeros and minus zero read exactly as the table says."""
    assert amount_in_words(Decimal(amount), currency) == expected


@pytest.mark.parametrize(("amount", "currency", "error", "match"), ERROR_CASES)
def test_bad_amount_or_currency_is_refused(amount: object, currency: str, error: type[Exception], match: str) -> None:
    """A non-Decimal, a fraction the currency cannot take, or an unknown currency is refused."""
    with pytest.raises(error, match=match):
        amount_in_words(amount, currency)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [999099099099099, -999099099099099, 777777777777777, -999999999999999])
def test_longest_vnd_amounts_fit_the_field(amount: int) -> None:
    """The longest readings below 10^15 still fit the 255 characters of TgTTTBChu."""
    assert len(amount_in_words(Decimal(amount))) <= 255


def test_caller_decimal_context_does_not_round() -> None:
    """A low-precision decimal context of the caller does not change the words."""
    with localcontext(Context(prec=5)):
        text = amount_in_words(Decimal("999999999999999999"))
        cents = amount_in_words(Decimal("12345678901234567.89"), "USD")
    assert parse_words(text) == Decimal("999999999999999999")
    assert parse_words(cents, "đô la Mỹ", "xen") == Decimal("12345678901234567.89")


def test_parser_reads_the_law_example() -> None:
    """The test parser itself reads the example of NĐ 123 back to its figure."""
    text = "Mười ba nghìn tám trăm đô la Mỹ và hai mươi lăm xen"
    assert parse_words(text, "đô la Mỹ", "xen") == Decimal("13800.25")


# Numbers built from three-digit groups hit the zero-group and "không trăm" paths far more
# often than uniformly random integers do.
_GROUP = st.one_of(st.sampled_from([0, 1, 4, 5, 10, 15, 21, 24, 100, 105, 999]), st.integers(0, 999))
_GROUPED = st.lists(_GROUP, min_size=1, max_size=5).map(lambda gs: int("".join(f"{g:03d}" for g in gs)))
_VND = st.one_of(st.integers(-(10**15), 10**15), _GROUPED, _GROUPED.map(lambda n: -n))


@settings(max_examples=500)
@given(_VND)
def test_vnd_words_round_trip(amount: int) -> None:
    """Any VND amount within ±10^15 reads as well-formed words that parse back to it."""
    text = amount_in_words(Decimal(amount))
    assert text[0].isupper()
    assert text[1:] == text[1:].lower()
    assert text.endswith(" đồng")
    assert len(text) <= 255
    assert unicodedata.is_normalized("NFC", text)
    assert "  " not in text
    assert text == text.strip()
    assert parse_words(text) == amount


@settings(max_examples=200)
@given(st.integers(-(10**17), 10**17))
def test_usd_words_round_trip(cents: int) -> None:
    """Any USD amount with cents reads as words that parse back to it."""
    amount = Decimal(cents) / 100
    text = amount_in_words(amount, "USD")
    assert parse_words(text, "đô la Mỹ", "xen") == amount
