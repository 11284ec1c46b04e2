"""What the site's verification page needs, written into the site by `empathy-ce certificates`.

`course/verify/certificates.json` maps the salted SHA-256 hash of each issued id (hex of
SHA-256(salt + ":" + canonical id), the salt from the register) to the course title, completion date, contact
hours and status (valid, or revoked with its date). It holds no learner's name, license or id in clear, and no
reason for a revocation (it could name the learner). `course/verify/jwks.json` is the provider's public key set
for checking badges; a key once published stays in it, so badges signed with an earlier key still verify.

Both are published by Quarto with the page (`resources:` in course/verify.qmd); when the site was already built
(`_site/`), the copies there are refreshed too, so a revocation shows as soon as `_site/` is uploaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .register import REVOKED, Register, canonical, write_atomic

DATA = Path("course") / "verify" / "certificates.json"
JWKS = Path("course") / "verify" / "jwks.json"
BUILT = Path("_site")


def id_hash(salt: str, certificate_id: str) -> str:
    return hashlib.sha256(f"{salt}:{canonical(certificate_id)}".encode()).hexdigest()


def verification_data(register: Register) -> dict[str, Any]:
    certificates = {}
    for entry in register.entries:
        record: dict[str, Any] = {"course": entry.course_title, "completed": entry.completion_date,
                                  "hours": entry.contact_hours, "status": entry.status}
        if entry.status == REVOKED:
            record["revoked"] = entry.revoked
        certificates[id_hash(register.salt, entry.id)] = record
    return {"version": 1, "algorithm": "SHA-256(salt + ':' + id in upper case, letters and digits only)",
            "salt": register.salt, "certificates": dict(sorted(certificates.items()))}


def _jwks(path: Path, key: dict[str, str] | None) -> dict[str, Any]:
    keys = []
    if path.exists():
        try:
            keys = list(json.loads(path.read_text("utf-8")).get("keys", []))
        except (ValueError, AttributeError):
            keys = []
    if key and all(k.get("kid") != key["kid"] for k in keys):
        keys.append(key)
    return {"keys": keys}


def write(root: Path, register: Register, public_key: dict[str, str] | None) -> list[Path]:
    """Write the verification data and the key set into the site's source (and a built site); the paths."""
    written = []
    data = json.dumps(verification_data(register), indent=1, ensure_ascii=False) + "\n"
    jwks = json.dumps(_jwks(root / JWKS, public_key), indent=1) + "\n"
    for base in (root, root / BUILT):
        if base != root and not (base / DATA.parent).parent.is_dir():
            continue
        (base / DATA).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(base / DATA, data)
        write_atomic(base / JWKS, jwks)
        written += [base / DATA, base / JWKS]
    return written
