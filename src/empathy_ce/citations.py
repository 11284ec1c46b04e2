"""Citation keys in exercise text, shown as APA in-text citations.

Item text cites with Pandoc keys ([@elliott2018]) like the module pages. Learners' kernels may not have the
course's references.bib, so the package ships citations.json (key -> "Elliott et al., 2018"), generated with
`python -m empathy_ce.citations course/references.bib` and kept in sync by a test.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from importlib.resources import files
from pathlib import Path

import bibtexparser

BRACKETED = re.compile(r"\[((?:[^\[\]]*?@[\w:.-]+[^\[\]]*?))\]")
KEY = re.compile(r"(-?)@([\w:-]+(?<![.:]))")
NARRATIVE = re.compile(r"(?<![\w@\[-])@([a-z][\w-]*\d{4}[a-z]?)\b")


def surnames(author_field: str) -> list[str]:
    """Surnames from a BibTeX author field; a braced organisation stays whole."""
    names = [a.strip() for a in re.split(r"\s+and\s+", author_field.strip()) if a.strip()]
    result = []
    for name in names:
        if name.startswith("{") and name.endswith("}"):
            result.append(name[1:-1])
        elif "," in name:
            result.append(name.split(",")[0].strip().strip("{}"))
        else:
            result.append(name.split()[-1].strip("{}"))
    return result


def in_text(author_field: str, year: str) -> str:
    """APA 7 in-text form: one or two authors by name, three or more as 'et al.'."""
    names = surnames(author_field)
    if len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {year}"


def cited_year(fields: dict) -> str:
    """The year as APA 7 cites it: a reprint with an `origdate` reads "1957/2007", as citeproc prints it."""
    year = str(fields["year"].value)
    original = fields.get("origdate")
    return f"{original.value}/{year}" if original is not None else year


def table_from_bib(path: str | Path) -> dict[str, str]:
    library = bibtexparser.parse_string(Path(path).read_text("utf-8"))
    table = {}
    for entry in library.entries:
        fields = entry.fields_dict
        author = fields.get("author") or fields.get("editor")
        year = fields.get("year")
        if author and year:
            table[entry.key] = in_text(str(author.value), cited_year(fields))
    return table


@cache
def table() -> dict[str, str]:
    resource = files("empathy_ce").joinpath("citations.json")
    return json.loads(resource.read_text("utf-8")) if resource.is_file() else {}


def render(text: str, known: dict[str, str] | None = None) -> str:
    """Replace [@a; @b] with (A, 2018; B, 2019); an unknown key stays visible as its key."""
    known = table() if known is None else known

    def one(match: re.Match[str]) -> str:
        parts = []
        for chunk in match.group(1).split(";"):
            found = KEY.search(chunk)
            if not found:
                parts.append(chunk.strip())
                continue
            cite = known.get(found.group(2), found.group(2))
            if found.group(1):  # [-@key]: year only
                cite = cite.rsplit(", ", 1)[-1]
            prefix, suffix = chunk[: found.start()].strip(), chunk[found.end() :].strip(" ,")
            parts.append(" ".join(p for p in (prefix, cite) if p) + (f", {suffix}" if suffix else ""))
        return "(" + "; ".join(parts) + ")"

    def narrative(match: re.Match[str]) -> str:
        cite = known.get(match.group(1))
        if cite is None:
            return match.group(0)
        who, year = cite.rsplit(", ", 1)
        return f"{who} ({year})"

    return NARRATIVE.sub(narrative, BRACKETED.sub(one, text))


def keys_in(text: str) -> set[str]:
    """Every citation key used in Pandoc citation syntax."""
    found = set()
    for match in BRACKETED.finditer(text):
        found.update(m.group(2) for m in KEY.finditer(match.group(1)))
    found.update(m.group(1) for m in NARRATIVE.finditer(text))
    return found


def main(argv: list[str]) -> None:
    bib = argv[0] if argv else "course/references.bib"
    out = Path(__file__).with_name("citations.json")
    out.write_text(json.dumps(table_from_bib(bib), indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
