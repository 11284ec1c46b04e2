"""Trim the site's theme stylesheet and icon font to what the rendered pages can use (page weight).

Quarto ships the whole of Bootstrap (about 500 kB of CSS with the theme) and the whole Bootstrap Icons set
(about 100 kB of CSS and a 180 kB font) to every page, which alone is most of the 1 MB page budget. The site
uses a small part: this step keeps a CSS selector only if every class and id it names occurs somewhere in the
site's HTML or JavaScript (Quarto's scripts add classes at run time, so they are read too), keeps an icon only
if its name occurs there, and subsets the icon font to the kept icons (fontTools).

It errs on keeping: a word that merely looks like a class keeps its rules. Running it twice changes nothing.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import tinycss2
from fontTools import subset as font_subset
from fontTools.ttLib import TTFont

THEME_GLOB = "site_libs/bootstrap/bootstrap*.min.css"
ICONS_CSS = "site_libs/bootstrap/bootstrap-icons.css"
ICONS_FONT = "site_libs/bootstrap/bootstrap-icons.woff"
TOKEN = re.compile(r"[A-Za-z0-9_-]+")
CLASS_OR_ID = re.compile(r"[.#]((?:\\.|[A-Za-z0-9_-])+)")
NEGATION = re.compile(r":not\((?:[^()]|\([^()]*\))*\)")
ICON_RULE = re.compile(r'\.bi-([a-z0-9-]+)::before\s*\{\s*content:\s*"\\([0-9a-f]+)";\s*\}\s*', re.I)
GROUPING = {"media", "supports", "layer", "container"}


def vocabulary(out_dir: Path) -> set[str]:
    """Every word in the site's pages and scripts: the class names, ids and icon names they can use."""
    words: set[str] = set()
    for pattern in ("*.html", "*.js"):
        for path in out_dir.rglob(pattern):
            words.update(TOKEN.findall(path.read_text("utf-8", errors="replace")))
    return words


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside :is(), :not() ...)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts if p.strip()]


def selector_used(selector: str, words: set[str]) -> bool:
    """True unless the selector needs a class or id that nothing in the site has (negations never need)."""
    needed = CLASS_OR_ID.findall(NEGATION.sub("", selector))
    return all(name.replace("\\", "") in words for name in needed)


def _purge(rules: list, words: set[str]) -> list:
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = [s for s in _split_selectors(tinycss2.serialize(rule.prelude)) if selector_used(s, words)]
            if selectors:
                kept.append(",".join(selectors) + "{" + tinycss2.serialize(rule.content) + "}")
        elif rule.type == "at-rule" and rule.lower_at_keyword in GROUPING and rule.content is not None:
            inner = _purge(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), words)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{''.join(inner)}}}")
        elif rule.type == "at-rule":
            kept.append(tinycss2.serialize([rule]))
    return kept


def purge_css(css: str, words: set[str]) -> str:
    """The stylesheet without the rules no page can match."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return "\n".join(_purge(rules, words)) + "\n"


def slim_icons(css: str, font: bytes, words: set[str]) -> tuple[str, bytes]:
    """Bootstrap Icons CSS and font with only the icons whose names occur in the site."""
    codepoints = []

    def keep(match: re.Match[str]) -> str:
        if match.group(1) in words or f"bi-{match.group(1)}" in words:
            codepoints.append(int(match.group(2), 16))
            return match.group(0)
        return ""

    css = ICON_RULE.sub(keep, css)
    options = font_subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.name_IDs = ["*"]  # keep the licence and names
    ttfont = TTFont(io.BytesIO(font))
    subsetter = font_subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints or [0x20])
    subsetter.subset(ttfont)
    ttfont.flavor = "woff"
    out = io.BytesIO()
    ttfont.save(out)
    return css, out.getvalue()


def slim_site(out_dir: Path, pages: list[Path] | None = None) -> dict[str, tuple[int, int]]:
    """Trim the theme CSS and the icons in place; returns file -> (bytes before, bytes after)."""
    words = vocabulary(out_dir)
    sizes = {}
    for sheet in out_dir.glob(THEME_GLOB):
        before = sheet.read_text("utf-8")
        after = purge_css(before, words)
        sheet.write_text(after, "utf-8")
        sizes[sheet.name] = (len(before.encode()), len(after.encode()))
    css_path, font_path = out_dir / ICONS_CSS, out_dir / ICONS_FONT
    if css_path.exists() and font_path.exists():
        css, font = css_path.read_text("utf-8"), font_path.read_bytes()
        new_css, new_font = slim_icons(css, font, words)
        css_path.write_text(new_css, "utf-8")
        font_path.write_bytes(new_font)
        sizes[css_path.name] = (len(css.encode()), len(new_css.encode()))
        sizes[font_path.name] = (len(font), len(new_font))
    return sizes
