"""signxml, as the national format needs it: the one place that calls the XMLDSig library.

:func:`run_signxml` verifies one signature whose structure :mod:`einvoice.xmldoc.verify` has already pinned, and
turns signxml's exceptions into :class:`Refusal` with a stable code.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature, SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from einvoice.domain.errors import Problem, UnsafeInputError
from einvoice.xmldoc.certinfo import KeyInfoCertificates
from einvoice.xmldoc.safe import hardened_parser, parse_untrusted
from einvoice.xmldoc.verdicts import problem

SIGNATURE_METHODS = frozenset(
    {SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
)
DIGESTS = frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})
CANONICALIZATIONS = frozenset(method.value for method in CanonicalizationMethod)


class Refusal(Exception):
    """A signature is refused for ``problem``."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message_en)
        self.problem = problem


class _ProfileVerifier(XMLVerifier):
    """signxml's verifier with three narrow corrections, each covered by a test.

    1. lxml's C14N of a non-root element whose default namespace is declared on an ancestor adds a wrong
       ``xmlns=""`` to grandchildren, which breaks ``SignedInfo`` under ``<Signature xmlns="…dsig#">`` (every
       Vietnamese signature): canonicalise a standalone copy instead (it keeps every in-scope namespace).
    2. A C14N transform after another C14N transform (exc-C14N then C14N, seen in real documents) reaches signxml
       as bytes: pass them through to be parsed again, as XMLDSig says.
    3. References are checked before the signature value, as xmlsec1 does, so that a document changed after
       signing is reported as a digest mismatch; a bad signature value still fails :meth:`verify`.
    """

    _bad_signature: CryptoInvalidSignature | None = None

    def _c14n(self, nodes: Any, algorithm: Any, inclusive_ns_prefixes: Any = None) -> bytes:
        listed = nodes if isinstance(nodes, list) else [nodes]
        rooted = [n if n.getparent() is None else parse_untrusted(etree.tostring(n, with_tail=False)) for n in listed]
        canonical: bytes = super()._c14n(rooted, algorithm, inclusive_ns_prefixes)
        return canonical

    def _tostring(self, xml_node: Any, **kwargs: Any) -> bytes:
        if isinstance(xml_node, bytes):
            return xml_node
        serialised: bytes = etree.tostring(xml_node, **kwargs)
        return serialised

    def _verify_signature_with_pubkey(self, **kwargs: Any) -> Any:
        try:
            return super()._verify_signature_with_pubkey(**kwargs)
        except CryptoInvalidSignature as exc:
            self._bad_signature = exc
            return kwargs["signed_info_c14n"], kwargs["signing_certificate"].public_key()

    def verify(self, data: Any, **kwargs: Any) -> Any:
        self._bad_signature = None
        results = super().verify(data, **kwargs)
        if self._bad_signature is not None:
            raise InvalidSignature("Signature verification failed")
        return results


def run_signxml(top: etree._Element, slot: etree._Element, certificates: KeyInfoCertificates, count: int) -> list[Any]:
    """Verify the one signature in ``slot`` with signxml; return its results, one per reference, in order."""
    location = "./" + "".join(f"{el.tag}/" for el in reversed([slot, *slot.iterancestors()]) if el is not top)
    config = SignatureConfiguration(
        require_x509=True,
        location=location,
        expect_references=count,
        signature_methods=SIGNATURE_METHODS,
        digest_algorithms=DIGESTS,
        # The certificate's validity is judged at the signed SigningTime, which is known only after verifying.
        verification_time=certificates.signing.not_valid_before_utc,
        default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    try:
        results = _ProfileVerifier().verify(
            top, x509_cert=certificates.signing, expect_config=config, validate_schema=False, parser=hardened_parser()
        )
    except InvalidDigest as exc:
        raise Refusal(problem("DIGEST_MISMATCH", str(exc))) from exc
    except InvalidSignature as exc:
        raise Refusal(problem("SIGNATURE_INVALID")) from exc
    except (InvalidInput, SignXMLException, ValueError, etree.LxmlError, UnsafeInputError) as exc:
        raise Refusal(problem("SIGNATURE_MALFORMED", str(exc))) from exc
    return list(results) if isinstance(results, list) else [results]
