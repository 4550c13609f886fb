"""A small sentence encoder in numpy: MiniLM-L6 (BERT architecture) with its WordPiece tokenizer.

The sub-event classifier reads who did what to whom better with a contextual encoder than with n-grams alone
(docs/models.md). The weights are sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), fine-tuned on CASE 2021
snippets by `training/train_encoder.py` and shipped in `transforms/models/` as one int8 `.npz` (per-row scales, read
with `allow_pickle=False`). Inference is numpy only: no torch, no tokenizers library, nothing downloaded.

    encoder = SentenceEncoder.load()
    vectors = encoder.encode(["Troops shelled the village.", ...])   # (n, 384), L2-normalised mean pooling

The tokenizer reproduces BERT's uncased basic tokenizer and greedy WordPiece exactly (a test checks it against the
reference tokenizer's ids on real snippets when that library is installed); the forward pass is the standard
post-LayerNorm BERT encoder with the exact (erf) GELU.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path
from typing import ClassVar

import numpy as np

from transforms.base import LoadedOnce

MODELS_DIR = Path(__file__).resolve().parent / "models"
ENCODER_MODEL = MODELS_DIR / "minilm_l6_case2021.npz"

MAX_TOKENS = 128  # [CLS] + 126 word pieces + [SEP]; CASE snippets average 49
_LAYER_NORM_EPS = 1e-12
_MAX_WORD_CHARS = 100  # BERT's WordPiece answers [UNK] for longer words


# --- tokenizer ---------------------------------------------------------------------------------------------------


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_tokens(text: str) -> list[str]:
    """BERT's uncased basic tokenizer: clean, split CJK characters, lower-case, strip accents, split punctuation."""
    chars = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or _is_control(char):
            continue
        if _is_whitespace(char):
            chars.append(" ")
        elif _is_cjk(cp):
            chars.extend((" ", char, " "))
        else:
            chars.append(char)
    out: list[str] = []
    for token in "".join(chars).split():
        token = unicodedata.normalize("NFD", token.lower())
        token = "".join(c for c in token if unicodedata.category(c) != "Mn")
        current: list[str] = []
        for char in token:
            if _is_punctuation(char):
                if current:
                    out.append("".join(current))
                    current = []
                out.append(char)
            else:
                current.append(char)
        if current:
            out.append("".join(current))
    return out


class WordPiece:
    """Greedy longest-match-first WordPiece over a BERT vocabulary (one token per line, id = line number)."""

    def __init__(self, vocab: list[str]):
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.unk = self.ids["[UNK]"]
        self.cls = self.ids["[CLS]"]
        self.sep = self.ids["[SEP]"]
        self._cache: dict[str, tuple[int, ...]] = {}

    def word(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        result = self._pieces(word)
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def _pieces(self, word: str) -> tuple[int, ...]:
        if len(word) > _MAX_WORD_CHARS:
            return (self.unk,)
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                found = self.ids.get(word[start:end] if start == 0 else "##" + word[start:end])
                if found is not None:
                    break
                end -= 1
            else:
                return (self.unk,)  # no piece matches here: the whole word is unknown
            pieces.append(found)
            start = end
        return tuple(pieces)

    def _first_pieces(self, text: str, limit: int) -> list[int]:
        """The text's first `limit` word pieces (tokenising stops once it has them)."""
        pieces: list[int] = []
        for token in basic_tokens(text):
            pieces.extend(self.word(token))
            if len(pieces) >= limit:
                break
        return pieces[:limit]

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        """[CLS] word pieces [SEP], truncated to `max_tokens`."""
        return [self.cls, *self._first_pieces(text, max_tokens - 2), self.sep]

    def windows(self, text: str, max_tokens: int, max_windows: int) -> list[list[int]]:
        """A long text as consecutive windows of [CLS] word pieces [SEP], each at most `max_tokens` long, the first
        `max_windows` of them (at least one, possibly [CLS] [SEP] alone)."""
        width = max_tokens - 2
        pieces = self._first_pieces(text, width * max_windows)
        return [[self.cls, *pieces[i : i + width], self.sep] for i in range(0, max(len(pieces), 1), width)]


# --- the encoder -------------------------------------------------------------------------------------------------


def _erf(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), in place where it can: GELU runs on every
    hidden unit of every layer, so this is ~10% of the encoder's time."""
    z = np.abs(x)
    t = 0.3275911 * z
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * 1.061405429
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += coefficient
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # erfc(|x|)
    np.subtract(1.0, poly, out=poly)
    return np.copysign(poly, x, out=poly)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)).astype(np.float32))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + _LAYER_NORM_EPS) * gamma + beta


def dequantize(values: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return values.astype(np.float32) * scales.astype(np.float32)[:, None]


def quantize(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: (int8 values, float32 scale per row)."""
    scale = np.abs(matrix).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    values = np.clip(np.rint(matrix / scale[:, None]), -127, 127).astype(np.int8)
    return values, scale.astype(np.float32)


class SentenceEncoder(LoadedOnce):
    """Mean-pooled, L2-normalised MiniLM embeddings of short texts (sentences, snippets), numpy only."""

    _cache: ClassVar[dict[Path, SentenceEncoder]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, arrays: dict[str, np.ndarray], compact: bool = False):
        """`compact`: keep the layers' matrices in int8 and dequantise each as a forward pass uses it (~25 MB
        resident instead of ~65 MB, for ~10 ms more per `encode` call: for an encoder called rarely, on long
        inputs)."""
        vocab = [str(t) for t in arrays["vocab"]]
        self.tokenizer = WordPiece(vocab)
        self.layers = int(arrays["layers"])
        self.heads = int(arrays["heads"])
        # Word embeddings stay int8 (30k rows; only the rows a batch uses are dequantised); the rest is float32.
        self._word_q, self._word_scale = arrays["word.q"], arrays["word.scale"].astype(np.float32)
        self.position = arrays["position"].astype(np.float32)
        self.token_type = arrays["token_type"].astype(np.float32)
        self.embed_norm = (arrays["embed_norm.gamma"].astype(np.float32), arrays["embed_norm.beta"].astype(np.float32))
        self.weights: list[dict[str, np.ndarray]] = []
        for i in range(self.layers):
            layer: dict[str, np.ndarray] = {}
            for name in ("qkv", "attn_out", "ffn_in", "ffn_out"):
                # stored (out, in) for per-output-row scales; used as (in, out)
                values, scales = arrays[f"{i}.{name}.q"], arrays[f"{i}.{name}.scale"].astype(np.float32)
                if compact:
                    layer[f"{name}.q"], layer[f"{name}.scale"] = values, scales
                else:
                    layer[name] = np.ascontiguousarray(dequantize(values, scales).T)
                layer[f"{name}.bias"] = arrays[f"{i}.{name}.bias"].astype(np.float32)
            for name in ("attn_norm", "ffn_norm"):
                layer[f"{name}.gamma"] = arrays[f"{i}.{name}.gamma"].astype(np.float32)
                layer[f"{name}.beta"] = arrays[f"{i}.{name}.beta"].astype(np.float32)
            self.weights.append(layer)
        self.dim = self.position.shape[1]

    @classmethod
    def load(cls, path: Path | str = ENCODER_MODEL, compact: bool = False) -> SentenceEncoder:
        """Read once per process (every DoFn.setup() may ask)."""
        path = Path(path)

        def read() -> SentenceEncoder:
            with np.load(path, allow_pickle=False) as data:
                return cls({name: data[name] for name in data.files}, compact)

        return cls._loaded((path, compact), read)

    @staticmethod
    def _matrix(layer: dict[str, np.ndarray], name: str) -> np.ndarray:
        """A layer's weight matrix as (in, out) float32."""
        matrix = layer.get(name)
        if matrix is None:  # compact: int8 (out, in) with a scale per output row
            matrix = dequantize(layer[f"{name}.q"], layer[f"{name}.scale"]).T
        return matrix

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        words = self._word_q[ids].astype(np.float32) * self._word_scale[ids][..., None]
        x = words + self.position[: ids.shape[1]] + self.token_type[0]
        return _layer_norm(x, *self.embed_norm)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states, (batch, tokens, dim), for padded ids with their attention mask."""
        batch, length = ids.shape
        heads, head_dim = self.heads, self.dim // self.heads
        x = self._embed(ids)
        bias = np.where(mask[:, None, None, :], np.float32(0.0), np.float32(-1e9)).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in self.weights:
            qkv = x @ self._matrix(layer, "qkv") + layer["qkv.bias"]  # (b, n, 3d)
            qkv = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)  # (3, b, h, n, hd)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = _layer_norm(
                context @ self._matrix(layer, "attn_out") + layer["attn_out.bias"] + x,
                layer["attn_norm.gamma"],
                layer["attn_norm.beta"],
            )
            hidden = _gelu(x @ self._matrix(layer, "ffn_in") + layer["ffn_in.bias"])
            x = _layer_norm(
                hidden @ self._matrix(layer, "ffn_out") + layer["ffn_out.bias"] + x,
                layer["ffn_norm.gamma"],
                layer["ffn_norm.beta"],
            )
        return x

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """(len(texts), dim) float32: mean of the last hidden states over real tokens, L2-normalised."""
        return self.encode_ids([self.tokenizer.encode(text) for text in texts], batch_size)

    def encode_ids(self, encoded: list[list[int]], batch_size: int = 16) -> np.ndarray:
        """`encode` for texts already turned into word-piece ids ([CLS] ... [SEP])."""
        out = np.zeros((len(encoded), self.dim), np.float32)
        if not encoded:
            return out
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # similar lengths pad least
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(encoded[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), np.int64)
            mask = np.zeros((len(chunk), length), bool)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = True
            hidden = self._forward(ids, mask)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[chunk] = pooled
        return out
