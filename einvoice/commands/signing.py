"""Commands that create development certificates, sign and verify documents."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from einvoice.domain.errors import Problem, UnsafeInputError
from einvoice.domain.vntime import local_time
from einvoice.settings import load_settings
from einvoice.signing.base import SigningError
from einvoice.signing.devca import dev_credentials, ensure_dev_credentials
from einvoice.signing.pkcs12 import DEFAULT_PASSWORD_ENV, Pkcs12Signer
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.sign import sign_document
from einvoice.xmldoc.verdicts import SignatureReport, VerificationReport
from einvoice.xmldoc.verify import verify_document

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("dev-ca")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (default: the DATA_DIR setting, as the service uses it).",
)
@click.option("--tax-code", required=True, help="Issuer tax code (MST) to put in UID=MST:.")
@click.option("--name", required=True, help="Issuer name (the certificate's CN).")
def dev_ca_command(data_dir: Path | None, tax_code: str, name: str) -> None:
    """Create (once) a development root CA and an issuer certificate; never use them in production."""
    data_dir = data_dir or load_settings().data_dir
    try:
        p12 = ensure_dev_credentials(data_dir, tax_code, name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tax-code") from exc
    paths = dev_credentials(data_dir, tax_code)
    click.echo(f"PKCS#12:        {p12}")
    click.echo(f"password file:  {paths.password_file}")
    click.echo(f"root CA (trust only with --development): {paths.root_certificate}")


@click.command("sign")
@click.argument("path", type=_FILE)
@click.option("--p12", "p12", required=True, type=_FILE, help="PKCS#12 file with the key and certificate chain.")
@click.option("--password-file", type=_FILE, help=f"File holding the PKCS#12 password (else ${DEFAULT_PASSWORD_ENV}).")
@click.option("--tax-code", required=True, help="The issuer's tax code; the certificate must carry it.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: FILE.signed.xml")
def sign_command(path: Path, p12: Path, password_file: Path | None, tax_code: str, output: Path | None) -> None:
    """Sign an unsigned invoice or receipt (empty DSCKS/NBan or DSCKS/DVThu) now, and write the signed file."""
    try:
        signer = Pkcs12Signer.from_password_file(p12, password_file) if password_file else Pkcs12Signer.from_env(p12)
        signed = sign_document(path.read_bytes(), signer, signing_time=datetime.now(UTC), expected_tax_code=tax_code)
    except SigningError as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from exc
    except UnsafeInputError as exc:
        raise click.ClickException(f"{exc.problem.code}: {exc.problem.message_en}") from exc
    target = output or path.with_name(f"{path.stem}.signed.xml")
    target.write_bytes(signed)
    click.echo(f"signed: {target}")


@click.command("verify")
@click.argument("path", type=_FILE)
@click.option("--trust-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Root CA PEM files.")
@click.option("--development", is_flag=True, help="Accept development certificates (and a development root).")
def verify_command(path: Path, trust_dir: Path | None, development: bool) -> None:
    """Verify every signature of an invoice, receipt or TDiep; exit 1 unless valid (and trusted, with --trust-dir)."""
    trust = TrustStore.from_directory(trust_dir) if trust_dir else None
    report = verify_document(path.read_bytes(), trust=trust, allow_development=development)
    click.echo(format_report(report, path.name))
    if not (report.accepted if trust else report.valid):
        sys.exit(1)


def format_report(report: VerificationReport, name: str) -> str:
    """Return a readable, multi-line account of ``report``."""
    verdict = "VALID" if report.valid else ("UNSIGNED" if not report.signed else "INVALID")
    lines = [f"{name}: {report.kind or 'unknown document'} — {verdict}"]
    lines += [_problem_line("problem", problem) for problem in report.problems]
    lines += [_problem_line("note", problem) for problem in report.warnings]
    for signature in report.signatures:
        lines += _signature_lines(signature)
    return "\n".join(lines)


def _signature_lines(report: SignatureReport) -> list[str]:
    status = "valid" if report.valid else "INVALID"
    if report.valid and report.trusted is not None:
        status += ", trusted" if report.trusted else ", NOT trusted"
    lines = [f"  signature {report.role}: {status}"]
    lines += [_problem_line("  why", problem) for problem in report.problems]
    if report.subject:
        lines.append(f"    signer:       {report.subject}")
    lines.append(f"    tax code:     {report.tax_code or '—'}")
    if report.signing_time:
        lines.append(f"    signed at:    {local_time(report.signing_time):%Y-%m-%d %H:%M:%S} (GMT+7)")
    if report.certificate is not None:
        validity = {True: "valid then", False: "NOT valid then", None: "unknown"}
        lines.append(
            f"    certificate:  {report.certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{report.certificate.not_valid_after_utc:%Y-%m-%d}, {validity[report.certificate_valid_at_signing_time]}"
        )
    if report.signature_algorithm:
        digests = ", ".join(sorted({d.rsplit("#", 1)[-1] for d in report.digest_algorithms}))
        lines.append(f"    algorithms:   {report.signature_algorithm.rsplit('#', 1)[-1]}, digests {digests}")
    if report.signed_code:
        lines.append(f"    MCCQT:        {report.signed_code}")
    lines += [_problem_line("  certificate", problem) for problem in report.certificate_problems]
    lines += [_problem_line("  warning", problem) for problem in report.warnings]
    return lines


def _problem_line(label: str, problem: Problem) -> str:
    return f"  {label}: [{problem.code}] {problem.message_en} / {problem.message_vi}"


COMMANDS: list[click.Command] = [dev_ca_command, sign_command, verify_command]
