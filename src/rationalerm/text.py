"""One normal form for every text that comes from a model or a user, before a guard, a matcher or a prompt sees it.

* :func:`normalise`: Unicode NFKC (full-width letters, ligatures and compatibility forms become their plain
  letters; only fractions, superscripts and subscripts are kept, since "1½" and "x²" must not read "11⁄2", "x2"), with the invisible format characters removed (zero-width spaces and joiners, the byte-order mark, soft
  hyphens, bidi embeddings, overrides and isolates: every character of category Cf). This is the form the guards
  screen, the local matcher embeds and the LLM judge's prompt shows, so what a judge reads is what was screened.
* :func:`skeleton`: :func:`normalise`, then every letter that Unicode's confusables data (TR39, through the
  ``confusable-homoglyphs`` package) lists as a look-alike of a plain ASCII letter or digit folded to it, and
  lower-cased: the form the injection guard matches against, so "ignоre previous instructions" with a Cyrillic
  "о" is caught. It is for detection only; the folded text is never sent anywhere (it would garble Cyrillic or
  Greek reasons).
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["normalise", "skeleton"]


def _is_invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


# Compatibility forms whose NFKC would change what the text says: "1½" would read "11⁄2", "(5/6)²" "(5/6)2".
_KEEP_TAGS = ("<fraction>", "<super>", "<sub>")


@functools.lru_cache(maxsize=4096)
def _nfkc_char(char: str) -> str:
    if unicodedata.decomposition(char).startswith(_KEEP_TAGS):
        return unicodedata.normalize("NFC", char)
    return unicodedata.normalize("NFKC", char)


@functools.lru_cache(maxsize=1 << 16)
def normalise(text: str) -> str:
    """NFKC with every format (Cf) character removed: zero-width, bidi controls, soft hyphen, BOM. Fractions,
    superscripts and subscripts are kept as they are (their NFKC would change the number written)."""
    if text.isascii():
        return text
    if any(map(_is_invisible, text)):
        text = "".join(c for c in text if not _is_invisible(c))
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = unicodedata.normalize("NFC", "".join(map(_nfkc_char, unicodedata.normalize("NFC", text))))
    return text


@functools.cache
def _fold_table() -> dict[int, str]:
    """Non-ASCII characters that the Unicode confusables data gives as look-alikes of one ASCII letter or digit."""
    from confusable_homoglyphs import confusables

    table: dict[int, str] = {}
    for char, glyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        targets = {g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()}
        if len(targets) == 1:
            table[ord(char)] = targets.pop()
        elif targets:
            # A few characters look like several ASCII glyphs (l, I, 1): prefer a lower-case letter.
            letters = sorted(t for t in targets if t.islower()) or sorted(targets)
            table[ord(char)] = letters[0]
    return table


@functools.lru_cache(maxsize=1 << 16)
def skeleton(text: str) -> str:
    """:func:`normalise`, confusable letters folded to ASCII, lower-cased: for detecting text, never for showing it."""
    text = unicodedata.normalize("NFKC", normalise(text))
    if not text.isascii():
        text = text.translate(_fold_table())
    return text.lower()
