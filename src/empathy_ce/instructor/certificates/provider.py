"""The provider's details in course/course.yml that a certificate or the home page needs, and which are unset.

Only the provider can supply them (names, approvals, policies, the published site's address); the course ships
placeholders that read "... before issuing certificates". Any one that is empty or still reads like a placeholder
blocks certificates and shows on the home page as not yet set: nothing is ever invented to fill it.

`additional_approvals` is the one list: each further body that approved the course (`body`, `statement`,
`number`, `credit_type`). It may be empty; an entry with a placeholder blocks certificates like any field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

PLACEHOLDER_HINTS = ("before issuing certificates", "placeholder", "todo", "tbd", "xxx", "lorem ipsum")
# Every provider-supplied detail in course.yml, printed on the certificate or on the home page's front matter; a
# certificate is only as good as the details an accreditor checks, so any one still a placeholder blocks it.
PROVIDER_FIELDS = ("name", "approval_statement", "approval_number", "authors", "reviewers", "conflicts_of_interest",
                   "commercial_support", "original_release", "last_review", "next_review", "posttest_attempts",
                   "record_retention", "refund_policy", "grievance_policy", "accommodation", "contact",
                   "credit_type", "signer_name", "signer_role", "verification_url")
APPROVAL_FIELDS = ("body", "statement", "number", "credit_type")
ADDITIONAL = "additional_approvals"


def unset(value: Any) -> bool:
    """Empty, or still reads like the course's placeholder text."""
    text = str(value or "").strip()
    return not text or any(hint in text.lower() for hint in PLACEHOLDER_HINTS)


def valid_site_url(value: Any) -> bool:
    """The published course site's address: an absolute http(s) address (https for a real site)."""
    parts = urlsplit(str(value or "").strip())
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def placeholders(provider: dict[str, Any]) -> list[str]:
    """The provider fields in course.yml that are empty or still read like placeholder text (or are malformed)."""
    missing = [f"provider.{name}" for name in PROVIDER_FIELDS
               if unset(provider.get(name))
               or (name == "verification_url" and not valid_site_url(provider.get(name)))]
    extra = provider.get(ADDITIONAL) or []
    if not isinstance(extra, list):
        return [*missing, f"provider.{ADDITIONAL}"]
    for number, approval in enumerate(extra, start=1):
        if not isinstance(approval, dict):
            missing.append(f"provider.{ADDITIONAL}[{number}]")
            continue
        missing += [f"provider.{ADDITIONAL}[{number}].{name}" for name in APPROVAL_FIELDS if unset(approval.get(name))]
    return missing


def additional_approvals(provider: dict[str, Any]) -> list[dict[str, str]]:
    """The further approving bodies, each with body, statement, number and credit type (as strings)."""
    extra = provider.get(ADDITIONAL) or []
    return [{name: str(a.get(name) or "").strip() for name in APPROVAL_FIELDS} for a in extra if isinstance(a, dict)]


def site_url(provider: dict[str, Any]) -> str:
    """The published site's base address, ending in a slash."""
    return str(provider["verification_url"]).strip().rstrip("/") + "/"
