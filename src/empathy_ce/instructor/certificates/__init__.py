"""Certificates of completion that anyone can verify, for learners who passed every module's post-test.

- `provider.py`: the provider's details in course/course.yml; any placeholder blocks certificates.
- `register.py`: the instructor's register of issued ids (random, never recomputable; atomic writes).
- `pdf.py`: the certificate page, every field a board asks for, with a QR code of the verification address.
- `badge.py`: the Open Badges 3.0 credential (a signed VC-JWT) and the provider's signing key.
- `publish.py`: the site's verification data (salted hashes of ids) and public key set.
- `issue.py`: issuing, re-issuing (byte for byte), revoking.

While the provider details are still placeholders no certificate is issued, except watermarked drafts
(--draft) whose `DRAFT-` id no page confirms. certificates/index.csv lists what was issued.
"""

from __future__ import annotations

from .badge import SigningKeyError, key_path, new_key
from .issue import Attestation, Certificate, CertificateError, Outcome, issue, issued_ids, revoke, verify_address
from .pdf import draw
from .provider import PLACEHOLDER_HINTS, PROVIDER_FIELDS, placeholders
from .register import RegisterError

__all__ = ["PLACEHOLDER_HINTS", "PROVIDER_FIELDS", "Attestation", "Certificate", "CertificateError", "Outcome",
           "RegisterError", "SigningKeyError", "draw", "issue", "issued_ids", "key_path", "new_key", "placeholders",
           "revoke", "verify_address"]
