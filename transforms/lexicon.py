"""Each language's words and patterns, as data: `transforms/data/<code>/`, one folder per ISO 639-1 code.

Stage code asks a language's lexicon for a named list or table and never spells a language's words itself, so that
adding a language means adding its folder (and its tests), not touching a stage. The layout follows spaCy's
`spacy/lang/<code>/` and dateparser's per-language files: small plain files a speaker can review.

    lexicon = Lexicon.for_language("ru")
    lexicon.words("gate")          # frozenset of the lines of ru/gate.txt (lower-cased; '#' starts a comment)
    lexicon.table("numbers")       # rows of ru/numbers.tsv, each a tuple of its tab-separated fields
    lexicon.has("numbers")         # whether the language has that file

A missing file is an empty list: a language that lacks, say, number words still gets what its other files allow.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import ClassVar

from transforms.base import LoadedOnce

DATA_DIR = Path(__file__).resolve().parent / "data"


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if line.strip():
            rows.append(line)
    return rows


class Lexicon(LoadedOnce):
    """The files of one language's folder, read once per process each."""

    _cache: ClassVar[dict] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, code: str, folder: Path) -> None:
        self.code = code
        self.folder = folder
        self._files: dict[tuple[str, str], object] = {}
        self._files_lock = threading.Lock()

    @classmethod
    def for_language(cls, code: str | None, data_dir: Path = DATA_DIR) -> Lexicon:
        code = (code or "").lower().split("-")[0]
        return cls._loaded((code, str(data_dir)), lambda: cls(code, data_dir / code))

    @classmethod
    def languages(cls, data_dir: Path = DATA_DIR) -> tuple[str, ...]:
        """Codes of the languages that have a folder."""
        return tuple(sorted(p.name for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))))

    @cached_property
    def exists(self) -> bool:
        return self.folder.is_dir()

    def has(self, name: str) -> bool:
        return (self.folder / f"{name}.txt").exists() or (self.folder / f"{name}.tsv").exists()

    def _read(self, kind: str, name: str, build):
        with self._files_lock:
            if (kind, name) not in self._files:
                self._files[(kind, name)] = build()
            return self._files[(kind, name)]

    def words(self, name: str) -> frozenset[str]:
        """The lines of `<name>.txt`, stripped and lower-cased."""
        return self._read(
            "words", name, lambda: frozenset(line.strip().lower() for line in _lines(self.folder / f"{name}.txt"))
        )

    def lines(self, name: str) -> tuple[str, ...]:
        """The lines of `<name>.txt` in file order, as written (patterns, ordered lists)."""
        return self._read("lines", name, lambda: tuple(line.strip() for line in _lines(self.folder / f"{name}.txt")))

    def table(self, name: str) -> tuple[tuple[str, ...], ...]:
        """The rows of `<name>.tsv`, each split on tabs and stripped."""
        return self._read(
            "table",
            name,
            lambda: tuple(
                tuple(field.strip() for field in line.split("\t")) for line in _lines(self.folder / f"{name}.tsv")
            ),
        )
