"""The read profile: each tolerance of the table accepts what the authority accepts, and nothing more."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from einvoice.domain.words_meaning import meaning, same_meaning
from einvoice.xmldoc.profiles import TOLERANCES, Profile, profile_markdown
from einvoice.xmldoc.validate import judge_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
WORDS = "Mười một triệu sáu trăm tám mươi lăm nghìn đồng"


def _edited(name: str, *edits: tuple[str, str]) -> bytes:
    xml = (GOLDEN / f"{name}.xml").read_text("utf-8")
    for old, new in edits:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml.encode()


def _codes(xml: bytes, profile: Profile) -> tuple[set[str], set[str]]:
    judgement = judge_document(xml, profile)
    return {p.code for p in judgement.errors}, {p.code for p in judgement.warnings}


@pytest.mark.parametrize(
    "stated",
    [
        "Mười một triệu sáu trăm tám mươi lăm ngàn đồng",
        "Mười một triệu sáu trăm tám mươi lăm nghìn đồng chẵn./.",
        "Mười Một Triệu Sáu Trăm Tám Mươi Lăm Nghìn Đồng.",
        "MƯỜI MỘT TRIỆU SÁU TRĂM TÁM MƯƠI LĂM NGHÌN ĐỒNG CHẴN",
        "Mười một triệu, sáu trăm tám mươi nhăm nghìn không trăm đồng",
    ],
)
def test_words_with_the_same_meaning_are_read_as_right(stated: str) -> None:
    """Wordings the authority accepts pass the read profile; the emit profile still wants our exact words."""
    xml = _edited("01-vat-two-rates", (WORDS, stated))
    assert "DOC_WORDS" not in _codes(xml, Profile.READ)[0]
    assert "DOC_WORDS" in _codes(xml, Profile.EMIT)[0]


@pytest.mark.parametrize(
    "stated",
    ["Mười một triệu sáu trăm tám mươi lăm nghìn VND", "Mười một triệu sáu trăm tám mươi sáu nghìn đồng", "đồng"],
)
def test_words_that_say_something_else_stay_wrong(stated: str) -> None:
    """Another amount, another unit ('VND' is not words) or no number: an error in both profiles."""
    xml = _edited("01-vat-two-rates", (WORDS, stated))
    for profile in Profile:
        assert "DOC_WORDS" in _codes(xml, profile)[0], profile


def test_meaning_reads_back_every_scale() -> None:
    """The reader understands tỷ of tỷ, linh/lẻ, mốt/tư/lăm, and foreign minor units."""
    assert meaning("Một nghìn hai trăm tỷ không trăm lẻ một đồng") == (1_200_000_000_001, "đồng")
    assert meaning("Âm hai mươi mốt nghìn đồng") == (-21_000, "đồng")
    assert meaning("Mười ba nghìn tám trăm đô la Mỹ và hai mươi tư xen") == (Decimal("13800.24"), "đô la Mỹ")
    assert meaning("năm trăm") is None
    assert not same_meaning("Hai mươi nghìn đồng", "Hai mươi nghìn VND")


VAT_2021 = (
    ("<KHHDon>C25TAA<", "<KHHDon>C21TAA<"),
    ("<NLap>2025-11-20<", "<NLap>2021-12-01<"),
    ("<TThue>900000<", "<TThue>630000<"),
    ("<TgTThue>985000<", "<TgTThue>715000<"),
    ("<TgTTTBSo>11685000<", "<TgTTTBSo>11415000<"),
    (WORDS, "Mười một triệu bốn trăm mười lăm nghìn đồng"),
)


def test_the_2021_vat_reduction_is_a_warning_when_read() -> None:
    """A 10 % group taxed at 70 % on a December 2021 invoice is read as the reduction of Resolution 406."""
    xml = _edited("01-vat-two-rates", *VAT_2021)
    errors, warnings = _codes(xml, Profile.READ)
    assert errors == set()
    assert "READ_VAT_REDUCED_30" in warnings
    assert {"INV_RATE_GROUPS", "INV_TOTALS"} <= _codes(xml, Profile.EMIT)[0]


def test_the_vat_reduction_is_not_accepted_outside_its_period() -> None:
    """The same reduced tax on a 2025 invoice is a wrong tax, read or emitted."""
    xml = _edited("01-vat-two-rates", *[edit for edit in VAT_2021 if "C2" not in edit[0] and "NLap" not in edit[0]])
    assert {"INV_RATE_GROUPS", "INV_TOTALS"} <= _codes(xml, Profile.READ)[0]


def test_foreign_currency_lines_are_read_to_six_decimals() -> None:
    """A USD line of 37 × 3.333 stated exactly (123.321) is right when read; we emit it rounded to the cent."""
    xml = _edited(
        "05-foreign-currency",
        ("<ThTien>123.32<", "<ThTien>123.321<"),
        ("<ThTien>13929.32<", "<ThTien>13929.321<"),
        ("<TgTCThue>13929.32<", "<TgTCThue>13929.321<"),
    )
    errors, _ = _codes(xml, Profile.READ)
    assert "INV_LINE_AMOUNT" not in errors
    assert "INV_LINE_AMOUNT" in _codes(xml, Profile.EMIT)[0]


def test_a_wrong_line_stays_wrong_when_read() -> None:
    """A VND line one đồng off, or a USD line off by more than its precision, is an error in the read profile."""
    vnd = _edited("01-vat-two-rates", ("<DGia>4500000<", "<DGia>4500001<"))
    usd = _edited("05-foreign-currency", ("<ThTien>123.32<", "<ThTien>123.5<"))
    for xml in (vnd, usd):
        assert "INV_LINE_AMOUNT" in _codes(xml, Profile.READ)[0]


def test_totals_within_precision_warn_and_beyond_fail() -> None:
    """A USD total 0.001 off (the lines' rounding) is a warning when read; a VND total 1 đồng off is an error."""
    usd = _edited("05-foreign-currency", ("<TgTCThue>13929.32<", "<TgTCThue>13929.321<"))
    errors, warnings = _codes(usd, Profile.READ)
    assert "INV_TOTALS" not in errors
    assert "READ_TOTAL_PRECISION" in warnings
    vnd = _edited("01-vat-two-rates", ("<TgTCThue>10700000<", "<TgTCThue>10700001<"))
    assert "INV_TOTALS" in _codes(vnd, Profile.READ)[0]


def test_coded_documents_quirks_are_accepted_when_read() -> None:
    """No HDCTTChinh, a UUID Id, NBan in another order and empty elements: warnings when read, errors when emitted."""
    xml = _edited(
        "01-vat-two-rates",
        ("<HDCTTChinh>0</HDCTTChinh>", ""),
        ('<DLHDon Id="DLHDon">', '<DLHDon Id="86afdb6b-58c5-4553-9657-15d70e30160b">'),
        (
            "<SDThoai>02438000000</SDThoai><DCTDTu>ketoan@abc.vn</DCTDTu>",
            "<DCTDTu>ketoan@abc.vn</DCTDTu><SDThoai>02438000000</SDThoai>",
        ),
        (
            "<TNHang>Ngân hàng TMCP Ngoại thương Việt Nam</TNHang></NBan>",
            "<TNHang>Ngân hàng TMCP Ngoại thương Việt Nam</TNHang><Fax/></NBan>",
        ),
    )
    errors, warnings = _codes(xml, Profile.READ)
    assert errors == set()
    assert warnings == {"READ_ORDER", "READ_EMPTY_ELEMENT"}
    assert {"XSD_ELEMENT", "XSD_ORDER", "XSD_TYPE", "XSD_LENGTH"} <= _codes(xml, Profile.EMIT)[0]


def test_an_order_outside_the_tolerated_parents_stays_an_error() -> None:
    """TTChung keeps its table order when read: only the parents the authority codes in other orders are tolerated."""
    xml = _edited("01-vat-two-rates", ("<DVTTe>VND</DVTTe><TGia>1</TGia>", "<TGia>1</TGia><DVTTe>VND</DVTTe>"))
    assert "XSD_ORDER" in _codes(xml, Profile.READ)[0]


def test_the_table_is_printed_with_both_profiles() -> None:
    """Every tolerance appears in the generated table, with its emit and read verdicts."""
    table = profile_markdown()
    for row in TOLERANCES:
        assert f"| `{row.code}` |" in table
        assert f"| error | {row.read} |" in table
