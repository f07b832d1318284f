"""The demo corpus: real text installed from Debian's fortune packages, no download at run time.

Mostly English (package `fortunes`), with about 1.5% of lines in other languages and scripts
(German, Spanish, Russian, Chinese), as in the paper's observation that rare-script samples are
the most memorized. Each line keeps its source (package and file) and licence. Exactly
deduplicated; ANSI colour codes removed. `make serve` and `make test` install the packages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memdash.worker.data.text import Document

DPKG_INFO = Path("/var/lib/dpkg/info")
# package -> (language group, licence of the texts as its Debian copyright file states it)
PACKAGES = {
    "fortunes": ("en", "BSD (fortune-mod); quotations presumed public domain"),
    "fortunes-de": ("de", "GPL-2+"),
    "fortunes-es": ("es", "GPL-2+ (code); texts presumed public domain"),
    "fortunes-ru": ("ru", "GPL-2"),
    "fortunes-zh": ("zh", "GPL-3.0+"),
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MIN_CHARS = 20


@dataclass(frozen=True)
class CorpusLine:
    text: str
    language: str
    source: str  # "package:file#entry"
    licence: str

    def document(self) -> Document:
        return Document(self.text, self.language)


class CorpusMissing(Exception):
    pass


def _package_files(package: str) -> list[Path]:
    listing = DPKG_INFO / f"{package}.list"
    if not listing.exists():
        return []
    files = []
    for line in listing.read_text().splitlines():
        path = Path(line)
        if "/games/fortunes/" in line and path.suffix not in (".dat", ".u8") and path.is_file():
            files.append(path)
    return sorted(files)


def _entries(path: Path) -> list[str]:
    text = ANSI.sub("", path.read_text(encoding="utf-8", errors="replace"))
    entries = (" ".join(entry.split()) for entry in re.split(r"\n%\n", text))
    return [e for e in entries if len(e) >= MIN_CHARS and "\ufffd" not in e]


def load_lines(package: str) -> list[CorpusLine]:
    language, licence = PACKAGES[package]
    return [
        CorpusLine(text, language, f"{package}:{path.name}#{index}", licence)
        for path in _package_files(package)
        for index, text in enumerate(_entries(path))
    ]


def demo_corpus(non_english_frac: float = 0.015, seed: int = 0) -> list[CorpusLine]:
    """English lines plus a seeded sample of other languages, deduplicated, in a fixed order."""
    english = load_lines("fortunes")
    if not english:
        raise CorpusMissing(
            "the demo corpus needs Debian's `fortunes` package "
            "(apt-get install fortunes fortunes-de fortunes-es fortunes-ru "
            "fortunes-zh; `make serve` installs them)"
        )
    others = [line for package in PACKAGES if package != "fortunes" for line in load_lines(package)]
    rng = np.random.default_rng([seed, 0xC0])
    n_others = min(len(others), round(non_english_frac * len(english) / (1 - non_english_frac)))
    picked = [others[i] for i in sorted(rng.choice(len(others), n_others, replace=False))]
    seen: set[str] = set()
    lines = []
    for line in english + picked:
        if line.text not in seen:
            seen.add(line.text)
            lines.append(line)
    return lines
