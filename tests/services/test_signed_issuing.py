"""Issuing with the real toolchain: the stored XML carries a valid signature by the issuer's certificate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.domain.vntime import local_date
from einvoice.services import catalogue
from einvoice.services.issuing import CatalogueFee, ReceiptRequest, issue_document
from einvoice.services.queries import get_document_xml
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.signing.base import SigningError
from einvoice.signing.devca import dev_credentials, ensure_dev_credentials
from einvoice.storage.schema import documents, series
from einvoice.xmldoc.verify import verify_document


@pytest.fixture(scope="session")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a data folder holding development credentials for the world's issuer and for another tax code."""
    folder = tmp_path_factory.mktemp("dev-ca")
    ensure_dev_credentials(folder, "0109999999", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH")
    ensure_dev_credentials(folder, "0301111111", "MỘT ĐƠN VỊ KHÁC")
    return folder


def _configure(engine: Engine, world: dict[str, Any], folder: Path, tax_code: str, clock: Any) -> ReceiptRequest:
    """Point the issuer at the credentials of ``tax_code``; move the clock to now, in a series of this year."""
    paths = dev_credentials(folder, tax_code)
    catalogue.update_issuer(
        engine,
        world["issuer"]["id"],
        {"signer_p12_path": str(paths.p12), "signer_password_file": str(paths.password_file)},
    )
    clock.value = datetime.now(UTC)  # the development certificate is valid from its creation on
    symbol = f"{local_date(clock.value).year % 100:02d}TAA"
    found = [row for row in catalogue.list_rows(engine, series) if row["symbol"] == symbol]
    row = (
        found[0]
        if found
        else catalogue.create_series(
            engine,
            issuer_id=world["issuer"]["id"],
            kind="receipt",
            template="EBL02",
            symbol=symbol,
            counter_id=world["counter"]["id"],
        )
    )
    return ReceiptRequest(row["id"], Buyer(name="Nguyễn Văn An"), (CatalogueFee("LP-CT"),))


def test_issued_receipt_is_signed_and_verifies(engine: Engine, world: dict[str, Any], clock: Any, dev_ca: Path) -> None:
    """With the PKCS#12 toolchain the stored receipt verifies, signed by the issuer's tax code."""
    request = _configure(engine, world, dev_ca, "0109999999", clock)
    doc = issue_document(engine, request, actor=world["cashier"], now=clock, tools=pkcs12_toolchain())
    xml = get_document_xml(engine, doc.id, world["cashier"])
    report = verify_document(xml, allow_development=True)
    assert report.valid, report
    assert report.signatures[0].tax_code == "0109999999"


def test_certificate_of_another_tax_code_is_refused(
    engine: Engine, world: dict[str, Any], clock: Any, dev_ca: Path
) -> None:
    """A certificate naming another tax code is refused inside the transaction; nothing is stored."""
    request = _configure(engine, world, dev_ca, "0301111111", clock)
    with pytest.raises(SigningError):
        issue_document(engine, request, actor=world["cashier"], now=clock, tools=pkcs12_toolchain())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 0
