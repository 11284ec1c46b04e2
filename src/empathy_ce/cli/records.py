"""The course's records: the gradebook `report`, `certificates`, post-test `attempts` and `retake` forms, and
`gradebook` backup and restore."""

from __future__ import annotations

import argparse
import sys

from .. import course as course_model
from .common import _setup_errors, check_config


def cmd_report(args: argparse.Namespace) -> int:
    """The gradebook report (HTML with figures, CSV tables) and the LMS export."""
    from ..instructor import report, results

    root = course_model.find_root(args.root)
    found = _setup_errors(lambda: results.load(root))
    built = report.build(found)
    out = args.out or root / "reports"
    written = report.write(built, out)
    print(report.summary_line(built))
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_certificates(args: argparse.Namespace) -> int:
    """Certificates (PDF and signed Open Badges 3.0 credential) for learners who passed every module; the site's
    verification data; revocation; the signing key (refused while provider details are placeholders)."""
    from ..instructor import certificates, results

    root = course_model.find_root(args.root)
    out = args.out or root / ("certificates/drafts" if args.draft else "certificates")
    if args.new_key:
        path = certificates.key_path(root, course_model.load(root).provider)
        try:
            certificates.new_key(path)
        except certificates.SigningKeyError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"wrote the provider's signing key to {path} (readable by you only; keep it out of git and back it up)")
        return 0
    if args.revoke:
        try:
            entry, published = certificates.revoke(root, out, args.revoke, args.reason or "")
        except certificates.RegisterError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"revoked certificate {entry.id} (learner '{entry.learner_id}') on {entry.revoked}: {entry.reason}")
        for path in published:
            print(f"wrote {path}")
        return 0
    found = _setup_errors(lambda: results.load(root))
    from ..instructor import analysis, completion

    try:
        done = certificates.issue(found, out, draft=args.draft, attestations=completion.attestations(found))
    except (certificates.CertificateError, certificates.RegisterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for learner in found.learners:  # why each learner without a certificate has none
        if learner.status != analysis.ELIGIBLE:
            print(f"no certificate for learner '{learner.id}' ({learner.status}): {completion.why_not(learner)}",
                  file=sys.stderr)
    kind = "draft certificates (watermarked DRAFT, not verifiable)" if args.draft else \
        "certificates with signed badges"
    print(f"{len(done.issued)} {kind} written to {out} (index.csv lists them)")
    for path in done.removed:
        print(f"removed {path}: that learner is no longer eligible")
    for entry in done.revoked:
        print(f"revoked certificate {entry.id} (learner '{entry.learner_id}'): {entry.reason}")
    for entry in done.held:
        print(f"held learner '{entry.learner_id}': certificate {entry.id} was revoked on {entry.revoked} "
              f"({entry.reason}); no new certificate issued", file=sys.stderr)
    for path in done.published:
        print(f"wrote {path} (publish the site to update the verification page)")
    for learner in done.undated:
        print(f"FAILED learner '{learner.id}': eligible, but nbgrader has no submission time for a completion date "
              "(no timestamp.txt in the submission); no certificate written", file=sys.stderr)
    return 1 if done.undated else 0


def cmd_retake(args: argparse.Namespace) -> int:
    """Release a post-test's next unseen form to learners who failed it and have attempts left (only to them)."""
    from ..instructor import attempts, retakes

    root = course_model.find_root(args.root)
    check_config(root)
    try:
        results = retakes.release_retake(root, args.module, args.learners)
    except attempts.PolicyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for result in results:
        stream = sys.stdout if result.ok else sys.stderr
        print(result.message if result.ok else f"REFUSED {result.message}", file=stream)
    return 0 if all(r.ok for r in results) else 1


def cmd_attempts(args: argparse.Namespace) -> int:
    """Each learner's post-test attempts (form, score, date, counted or not), and the review list after a fail."""
    from ..instructor import attempts

    root = course_model.find_root(args.root)
    try:
        found = attempts.load(root)
    except attempts.PolicyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for learner, modules in found.items():
        for module, state in modules.items():
            if not state.attempts:
                continue
            print(f"{learner} {module}: {state.status}: {state.summary()}")
            if state.message:
                print(f"  {state.message}")
            for missed in state.review:
                print(f"  review {missed.objective}: {'; '.join(missed.sections + missed.practice)}")
    return 0


def cmd_gradebook(args: argparse.Namespace) -> int:
    """Back up nbgrader's gradebook (at its configured database URL) to one file, or restore it from one."""
    from ..instructor import backup, configuration

    root = course_model.find_root(args.root)
    config = _setup_errors(lambda: configuration.load(root))
    coursedir = configuration.coursedir(config)
    folder = root / "backups"

    def show(counts: dict[str, int]) -> None:
        for name, count in counts.items():
            print(f"  {name:<22} {count:>8} rows")

    def announce(safety: backup.Written) -> None:
        print(f"safety backup of the gradebook being replaced: {safety.path}")
        show(safety.counts)

    try:
        if args.action == "backup":
            written = backup.backup(coursedir.db_url, args.file, folder=folder)
            print(f"wrote {written.path} ({sum(written.counts.values())} rows from "
                  f"{configuration.redact(coursedir.db_url)})")
            show(written.counts)
        else:
            restored = backup.restore(args.file, coursedir.db_url, folder=folder, force=args.force,
                                      course_id=coursedir.course_id, announce=announce)
            print(f"restored {args.file} into {configuration.redact(coursedir.db_url)} "
                  f"({sum(restored.counts.values())} rows)")
            show(restored.counts)
    except backup.BackupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except backup.GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
