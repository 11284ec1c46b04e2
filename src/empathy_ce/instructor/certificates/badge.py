"""Open Badges 3.0 credentials: one W3C Verifiable Credential per certificate, signed with the provider's key.

The proof format is Open Badges 3.0's VC-JWT (JSON Web Token): the payload is the OpenBadgeCredential itself
(OB 3.0 context, `OpenBadgeCredential` type, the course as the achievement with its contact hours as credits),
with the registered claims `iss` (issuer id), `jti` (credential id) and `nbf` (its validFrom); the header names
the key (`kid`) and carries the public key (`jwk`). JSON Web Tokens need no JSON-LD canonicalisation, so signing
and verifying work offline. Signing is joserfc's (a maintained JOSE library), with an Ed25519 key: Ed25519
signatures are deterministic, so a re-run writes the same badge byte for byte.

The key is a private JWK in a file outside git: `$EMPATHY_CE_SIGNING_KEY`, else `provider.signing_key` in
course.yml (relative to the course folder), else `keys/provider-signing-key.jwk` (ignored by git). `empathy-ce
certificates --new-key` makes one (mode 0600) and refuses to replace one. The public half is published on the
site (`course/verify/jwks.json`, a JWK Set): any conforming verifier checks a badge with it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import warnings
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import OKPKey

from . import provider as provider_fields

ENV = "EMPATHY_CE_SIGNING_KEY"
DEFAULT_KEY = Path("keys") / "provider-signing-key.jwk"
# "EdDSA" is the algorithm name Open Badges 3.0 verifiers and wallets accept today; RFC 9864's newer "Ed25519"
# name is not yet widely understood, so joserfc's deprecation notice is silenced where we sign.
ALGORITHM = "EdDSA"
CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
VERIFY_PAGE = "course/verify.html"
JWKS_PATH = "course/verify/jwks.json"


class SigningKeyError(RuntimeError):
    """The signing key is missing or unusable."""


def key_path(root: Path, provider: dict[str, Any] | None = None) -> Path:
    configured = os.environ.get(ENV) or (provider or {}).get("signing_key")
    path = Path(configured) if configured else DEFAULT_KEY
    return path if path.is_absolute() else root / path


def new_key(path: Path) -> OKPKey:
    """A new Ed25519 key pair, written as a private JWK readable by its owner only; never overwrites one."""
    if path.exists():
        raise SigningKeyError(f"{path} already holds a signing key; it was not replaced (badges signed with it "
                              "would no longer match a new key). Move it away first if you really mean to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = OKPKey.generate_key("Ed25519")
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(key.as_dict(private=True), out)
    os.chmod(path, 0o600)
    return key


def load_key(path: Path) -> OKPKey:
    if not path.exists():
        raise SigningKeyError(f"no signing key at {path}: create one once with `empathy-ce certificates --new-key` "
                              f"(or set {ENV} to the key file's path); no certificate was issued")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:  # as ssh does: a private key others can read is refused, not used
        raise SigningKeyError(f"{path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`; no "
                              "certificate was issued")
    try:
        key = OKPKey.import_key(json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as err:
        raise SigningKeyError(f"{path} is not a signing key (a private Ed25519 JWK): {err}; no certificate was "
                              "issued") from None
    if not key.is_private:
        raise SigningKeyError(f"{path} holds only a public key; badges need the private key; no certificate was issued")
    return key


def public_jwk(key: OKPKey) -> dict[str, str]:
    return {**key.as_dict(private=False), "kid": key.thumbprint(), "use": "sig", "alg": ALGORITHM}


def credential(*, certificate_id: str, name: str, course: Any, completed: dt.date, issued: str,
               license_number: str | None = None) -> dict[str, Any]:
    """The OpenBadgeCredential (unsigned) for one certificate."""
    provider = course.provider
    base = provider_fields.site_url(provider)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}],
        "achievement": {
            "id": f"{base}#course",
            "type": ["Achievement"],
            "achievementType": "Course",
            "name": course.title,
            "description": f"{course.title}: a continuing-education course ({course.delivery}; learning level "
                           f"{course.raw.get('level', '')}; {course.contact_hours:g} contact hours).",
            "criteria": {"narrative": "Passed the graded post-test of every module of the course."},
            "creditsAvailable": course.contact_hours,
        },
        "creditsEarned": course.contact_hours,
        "activityEndDate": f"{completed.isoformat()}T00:00:00Z",
    }
    if license_number:
        subject["licenseNumber"] = license_number
    issuer: dict[str, Any] = {"id": base, "type": ["Profile"], "name": str(provider["name"]).strip(), "url": base}
    return {
        "@context": CONTEXT,
        "id": f"{base}{VERIFY_PAGE}?id={certificate_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Certificate of completion: {course.title}",
        "issuer": issuer,
        "validFrom": issued,
        "credentialSubject": subject,
    }


def sign(credential_json: dict[str, Any], key: OKPKey) -> str:
    """The credential as a compact VC-JWT, signed with the provider's key."""
    base = credential_json["issuer"]["id"]
    issued = dt.datetime.fromisoformat(credential_json["validFrom"].replace("Z", "+00:00"))
    claims = {**credential_json, "iss": base, "jti": credential_json["id"], "nbf": int(issued.timestamp())}
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": f"{base}{JWKS_PATH}#{key.thumbprint()}",
              "jwk": key.as_dict(private=False)}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])
