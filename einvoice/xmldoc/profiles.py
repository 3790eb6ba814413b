"""Two profiles, one table: what we emit is held to our schemas exactly; what others emit is read as the authority does.

* **Emit** (:attr:`Profile.EMIT`) judges the documents we build, at issue time: our XSDs and every business rule,
  exactly; anything in :data:`TOLERANCES` is an error, as it always was.
* **Read** (:attr:`Profile.READ`) judges documents received from others (the public check, ``einvoice validate``):
  each divergence of :data:`TOLERANCES` that the tax authority demonstrably accepts (it coded or relayed documents
  that have it, see ``../shared/fixtures/real-xml/SOURCES.md``) is accepted silently or as a warning, never as an
  error. Everything else is judged as in the emit profile: documents edited after signing, amounts in words that
  name another currency, trimmed excerpts stay broken.

The table is the single source of both profiles: :mod:`einvoice.xmldoc.validate` and :mod:`einvoice.xmldoc.rules`
look each tolerance up here by code, and ``docs/validation-rules.md`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Profile(StrEnum):
    """Which documents are judged: ours at issue time (emit) or anyone's on reception (read)."""

    EMIT = "emit"
    READ = "read"


ACCEPTED, WARNING = "accepted", "warning"


@dataclass(frozen=True, slots=True)
class Tolerance:
    """A divergence from our schemas or rules: what the read profile makes of it, and where it was seen."""

    code: str
    read: str  # ACCEPTED (silently) or WARNING; the emit profile always reports an error
    title_vi: str
    title_en: str
    seen_in: str


TOLERANCES: tuple[Tolerance, ...] = (
    Tolerance(
        "READ_OLDER_VERSION",
        ACCEPTED,
        "Định dạng 2.0.0 và 2.0.1 được đọc như 2.1.0",
        "formats 2.0.0 and 2.0.1 are read as 2.1.0",
        "01–06",
    ),
    Tolerance(
        "READ_OPTIONAL_ABSENT",
        ACCEPTED,
        "Thiếu HDCTTChinh (cơ quan thuế vẫn cấp mã)",
        "HDCTTChinh may be absent (the authority codes such invoices)",
        "07–11",
    ),
    Tolerance(
        "READ_ID_NOT_NAME",
        ACCEPTED,
        "Id của DLHDon là chuỗi bất kỳ (UUID bắt đầu bằng chữ số)",
        "DLHDon/@Id is any string (UUIDs starting with a digit)",
        "07, 08",
    ),
    Tolerance(
        "READ_CURRENCY_SIGN",
        WARNING,
        "Đơn vị tiền tệ ghi là 'đ' (hệ thống thử nghiệm 2021), đọc là VND",
        "currency written 'đ' (the authority's 2021 test system), read as VND",
        "01",
    ),
    Tolerance(
        "READ_ORDER",
        WARNING,
        "Thứ tự phần tử con của NBan, NMua, HHDVu, TToan, LTSuat khác bảng định dạng",
        "children of NBan, NMua, HHDVu, TToan, LTSuat in another order than the format table",
        "01, 03, 04, 09, 11, 12",
    ),
    Tolerance(
        "READ_EMPTY_ELEMENT",
        WARNING,
        "Phần tử rỗng được coi như không có",
        "an empty element is read as absent",
        "01, 02, 09, 11",
    ),
    Tolerance(
        "READ_EXTRA_ELEMENT",
        WARNING,
        "Phần tử ngoài định dạng nằm ngoài phần dữ liệu được ký (Fkey) hoặc TTKhac trong NDHDon (2.0.x)",
        "an element outside the format beyond the signed data (Fkey), or TTKhac in NDHDon (2.0.x)",
        "03, 04",
    ),
    Tolerance(
        "READ_LINE_PRECISION",
        ACCEPTED,
        "Thành tiền dòng ngoại tệ đến 6 chữ số thập phân",
        "foreign-currency line amounts to 6 decimals",
        "09",
    ),
    Tolerance(
        "READ_TOTAL_PRECISION",
        WARNING,
        "Tổng tiền lệch trong phạm vi làm tròn của định dạng",
        "totals within the rounding precision of the format",
        "09",
    ),
    Tolerance(
        "READ_WORDS_WORDING",
        ACCEPTED,
        "Số tiền bằng chữ so theo nghĩa (chẵn, ./., ngàn/nghìn, chữ hoa)",
        "amount in words compared by meaning ('chẵn', './.', 'ngàn'/'nghìn', letter case)",
        "03, 07, 08, 13",
    ),
    Tolerance(
        "READ_WORDS_EMPTY",
        WARNING,
        "Số tiền bằng chữ để trống",
        "amount in words left empty",
        "09",
    ),
    Tolerance(
        "READ_VAT_REDUCED_30",
        WARNING,
        "Tiền thuế giảm 30% theo Nghị quyết 406/NQ-UBTVQH15 (kỳ 2021–2022)",
        "VAT reduced by 30 % under Resolution 406/NQ-UBTVQH15 (2021–2022 periods)",
        "01",
    ),
)

_BY_CODE = {tolerance.code: tolerance for tolerance in TOLERANCES}


def tolerance(code: str) -> Tolerance:
    """Return the tolerance of ``code`` (a KeyError names a code missing from the table)."""
    return _BY_CODE[code]


def profile_markdown() -> str:
    """Return the table of both profiles as Markdown."""
    rows = [
        "| code | divergence (vi) | divergence (en) | emit | read | seen in |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows += [f"| `{t.code}` | {t.title_vi} | {t.title_en} | error | {t.read} | {t.seen_in} |" for t in TOLERANCES]
    return "\n".join(rows) + "\n"
