"""The dominant writing system of a text sample, for the most-memorized table (SPEC 7).

The paper found the most memorized samples of an English corpus were Japanese, Chinese and
Hebrew text; tagging each sample's script makes that visible. The tag is the Unicode script of
the majority of its letters (kana anywhere makes CJK text "Japanese").
"""

from __future__ import annotations

import unicodedata
from collections import Counter

_PREFIXES = {
    "LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "HEBREW": "Hebrew",
    "ARABIC": "Arabic",
    "DEVANAGARI": "Devanagari",
    "HANGUL": "Korean",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "CJK": "Chinese",
    "THAI": "Thai",
    "ARMENIAN": "Armenian",
    "GEORGIAN": "Georgian",
}


def _script_of(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    first = name.split(" ", 1)[0]
    return _PREFIXES.get(first, "Other")


def dominant_script(text: str) -> str:
    """'Latin', 'Chinese', 'Japanese', 'Cyrillic', 'Hebrew', ... or 'None' for no letters."""
    counts = Counter(s for s in map(_script_of, text) if s)
    if not counts:
        return "None"
    # Japanese mixes kana with CJK ideographs: kana anywhere, and CJK + kana the majority.
    han_and_kana = counts.get("Japanese", 0) + counts.get("Chinese", 0)
    if counts.get("Japanese") and han_and_kana >= max(counts.values()):
        return "Japanese"
    return counts.most_common(1)[0][0]
