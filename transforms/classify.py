"""Conflict relevance and ACLED sub-event classification: hashed TF-IDF features and linear models, numpy only.

Two linear models ship in `transforms/models/` as plain arrays (`.npz`, no pickles), trained by
`training/train_classifiers.py` from the corpora in ../shared/data:

- `ConflictClassifier` scores an article (title + text): the probability that it reports political violence,
  protest or armed conflict in ACLED's scope. A fine-tuned MiniLM relevance encoder (a fourth artefact) votes on
  the articles the linear model is unsure of.
- `SubEventClassifier` labels a sentence or snippet with one of ACLED's 25 sub-event types, or None when it
  describes no ACLED event (disaster, diplomacy, ordinary crime, claims of responsibility, statements). A
  fine-tuned MiniLM encoder (`transforms/encoder.py`, a third artefact) votes on the sentences the linear model
  gives a type.

Features are the same at training and at run time because both go through `hashed_counts()` and `block_tfidf()`:
text is lower-cased and stripped of punctuation first (one training corpus comes that way, and casing must not
leak its label), then word 1-2 grams, character 3-5 grams within words and hand-written keyword cues are hashed
(CRC-32, stable across processes) into 2**20 buckets per block, weighted by sublinear TF x IDF and L2-normalised
per block. docs/models.md has the data, the figures and the variants tried.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from schemas import Article
from transforms.base import LoadedOnce, lazy_exports
from transforms.encoder import ENCODER_MODEL

MODELS_DIR = Path(__file__).resolve().parent / "models"
RELEVANCE_MODEL = MODELS_DIR / "conflict_relevance.npz"
SUB_EVENT_MODEL = MODELS_DIR / "acled_sub_event.npz"
RELEVANCE_ENCODER_MODEL = MODELS_DIR / "relevance_minilm.npz"

# Label the sub-event model uses for "not an ACLED event"; predict() turns it into None.
NONE_LABEL = "NONE"


@dataclass(frozen=True)
class FeatureSettings:
    """How text becomes features; saved inside each artefact so a model is always read the way it was trained."""

    hash_bits: int = 20  # 2**20 buckets: collisions negligible for a few hundred thousand distinct n-grams
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)  # within words padded by spaces (scikit-learn's "char_wb")
    max_chars: int = 6000  # the lead of an article decides its topic; the tail only costs time
    keywords: bool = True
    # Each block (word n-grams, char n-grams, keyword cues) is L2-normalised on its own, then scaled by its weight,
    # so that a few strong cues are not drowned by hundreds of character n-grams.
    block_weights: tuple[float, float, float] = (1.0, 1.0, 0.5)

    def to_json(self) -> str:
        return json.dumps(
            {
                "hash_bits": self.hash_bits,
                "word_ngrams": list(self.word_ngrams),
                "char_ngrams": list(self.char_ngrams),
                "max_chars": self.max_chars,
                "keywords": self.keywords,
                "block_weights": list(self.block_weights),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> FeatureSettings:
        raw = json.loads(text)
        return cls(
            hash_bits=int(raw["hash_bits"]),
            word_ngrams=tuple(raw["word_ngrams"]),
            char_ngrams=tuple(raw["char_ngrams"]),
            max_chars=int(raw["max_chars"]),
            keywords=bool(raw["keywords"]),
            block_weights=tuple(raw["block_weights"]),
        )


# Hand-written cues that a bag of n-grams learns slowly from ~700 snippets: each names what it indicates.
# They match the normalised text (lower case, punctuation removed, digits -> 0).
KEYWORD_CUES: dict[str, str] = {
    "air_strike": r"\b(air ?strikes?|airstrikes?|air raids?|warplanes?|war planes?|jets? (?:struck|bombed|pounded)"
    r"|drone (?:strikes?|attacks?)|helicopter gunships?|bombed from the air"
    r"|aerial (?:bombardment|attacks?))\b",
    "shelling": r"\b(shell(?:s|ed|ing)|artillery|mortars?|rockets?|missiles?|howitzers?|katyusha|grad)\b",
    "suicide": r"\b(suicide (?:bomb\w*|attack\w*|vest|car)|self ?detonat\w*|blew (?:himself|herself|themselves) up)\b",
    "ied": r"\b(ieds?|improvised explosive|roadside bombs?|landmines?|land mines?|car bombs?|remote controlled|"
    r"bomb (?:blast|explosion)|explosive devices?|magnetic bomb|sticky bomb|mine blast)\b",
    "grenade": r"\b(grenades?|hand bombs?|rpgs?)\b",
    "chemical": r"\b(chemical|chlorine|sarin|mustard gas|nerve agent|toxic gas|poison gas)\b",
    "sexual": r"\b(rap(?:e|ed|es|ing|ist)|sexual(?:ly)?|gang ?rape)\b",
    "abduction": r"\b(abduct\w*|kidnap\w*|hostages?|forced disappear\w*|went missing|taken captive)\b",
    "protest": r"\b(protest\w*|demonstrat\w*|rall(?:y|ies|ied)|marche[ds]|sit ?in|picket\w*|strikers?|rallying)\b",
    "dispersal": r"\b(tear ?gas|water cannons?|rubber bullets?|dispers\w*|baton charge\w*|lathi ?charge\w*|"
    r"pellets?|stun grenades?|pepper ?spray\w*|batons?)\b",
    "riot": r"\b(riot\w*|clash(?:ed|es)? with police|stone pelt\w*|pelted|threw stones|hurled stones|vandali\w*|"
    r"torched|set (?:ablaze|on fire|fire)|burn(?:t|ed) tyres)\b",
    "mob": r"\b(mobs?|lynch\w*|vigilantes?|angry crowd|crowd of)\b",
    "arrest": r"\b(arrest\w*|detain\w*|apprehend\w*|taken into custody|nabbed|held for questioning)\b",
    "agreement": r"\b(agreements?|ceasefire|cease fire|truce|peace (?:deal|accord|talks?)|signed|prisoner swap|"
    r"exchange of prisoners|released (?:\w+ )?prisoners)\b",
    "weapons_seized": r"\b(seiz\w*|confiscat\w*|defus\w*|cache|caches|recovered (?:\w+ )?(?:weapons|arms|explosives)|"
    r"intercept\w*|dismantl\w*|bomb disposal|suspicious packages?|found (?:\w+ )?explosives?)\b",
    "base": r"\b(observation posts?|military bases?|set up (?:a |an )?(?:new )?(?:base|post|checkpoint|headquarters)|"
    r"established (?:a |an )?(?:new )?(?:base|post|headquarters)|headquarters)\b",
    "looting": r"\b(loot\w*|plunder\w*|ransack\w*|demolish\w*|razed|destroyed (?:\w+ )?(?:homes|houses|property))\b",
    "regain": r"\b(recaptur\w*|regain\w*|retook|retaken|liberat\w*|took back|wrested back|reclaimed)\b",
    "overtake": r"\b(captur\w*|seiz(?:ed|ing) (?:control|the (?:\w+ )?(?:town|city|village|area|base))|took control|"
    r"overran|overrun|fell to|stormed|took over|advance\w*|gain(?:ed|s) control)\b",
    "withdraw": r"\b(withdr[ae]w\w*|handed over|hand over|pulled out|evacuat\w*|redeploy\w*|deployed)\b",
    "clash": r"\b(clash\w*|gunfights?|gun battles?|firefights?|exchange of fire|exchanged fire|encounters?|"
    r"fighting|fought|battles?|ambush\w*)\b",
    "killing": r"\b(kill\w*|shot dead|gunned down|murder\w*|massacr\w*|executed|beheaded|stabbed|hacked)\b",
    "state_actor": r"\b(army|armed forces|troops|soldiers|military|government forces|security forces|police\w*|"
    r"regime|saa|national guard|gendarm\w*|paramilitar\w*|commandos?|special forces|riot police|"
    r"pro government|loyalists?|army units?|marines)\b",
    "nonstate_actor": r"\b(militants?|insurgents?|rebels?|jihadists?|terrorists?|gunmen|militias?|isis|isil|"
    r"islamic state|daesh|taliban|al shabaab|shabaab|boko haram|hts|houthis?|maoists?|al qaeda|"
    r"ypg|pkk|sdf|separatists?|opposition (?:forces|fighters)|armed groups?|extremists?|"
    r"guerrill\w*|fighters|tribesmen|bandits)\b",
    "protesters_violent": r"\b((?:protesters|demonstrators|rioters|protestors|students|crowds?|youths?) "
    r"(?:\w+ )?(?:threw|hurled|pelted|torched|burned|burnt|attacked|stormed|set fire|"
    r"vandalised|vandalized|smashed|blocked|clashed|shut down)|turned violent|"
    r"violent (?:protests?|demonstrations?|clashes)|riot\w*|molotov|petrol bombs?|burning tyres|"
    r"(?:throw\w*|threw|hurl\w*) (?:\w+ )?(?:stones|rocks|bottles|bricks|molotov\w*|"
    r"firecrackers)|blocked (?:\w+ )?(?:roads?|streets?|highways?))\b",
    "force_on_protesters": r"\b((?:fired|opened fire|shot|beat|beaten|killed|injured|wounded|attacked|cracked down)"
    r" (?:\w+ ){0,3}(?:protesters|demonstrators|protestors|students|marchers|crowd)|"
    r"(?:protesters|demonstrators|protestors|marchers) (?:were |was )?(?:\w+ )?(?:killed|shot|"
    r"injured|wounded|beaten|died)|crackdown|brutal\w*|live ammunition|live rounds|"
    r"excessive force|suppress\w*|gunfire|violently)\b",
    "peaceful": r"\b(peaceful\w*|gathered|placards|banners|chant\w*|sit ?in|candle ?light|vigil|march(?:ed)? "
    r"(?:to|through|from)|staged|took to the streets)\b",
    "group_change": r"\b(defect\w*|deserted|merg\w*|joined (?:forces|ranks)|reinforcements?|mobili[sz]\w*|"
    r"dissolv\w*|disband\w*|split from|new (?:group|alliance|coalition|commander)|"
    r"sent (?:\w+ )?(?:troops|reinforcements)|military build ?up|convoy)\b",
    "territory_transfer": r"\b(handed (?:over|control)|hand(?:ing)? over|withdr[ae]w\w* from|entered the (?:town|city|"
    r"village)|without (?:a fight|resistance|a shot)|took over (?:positions|checkpoints)|"
    r"after (?:the )?withdrawal|in line with (?:the |a )?(?:deal|agreement))\b",
    "communal": r"\b(communal|sectarian|ethnic (?:clashes|violence)|tribal (?:clashes|fighting)|"
    r"clashes between (?:two |rival )?(?:groups|communities|tribes|clans|villagers|supporters))\b",
    "other_event": r"\b(mass graves?|missile tests?|test (?:fired|launch\w*)|launch(?:ed)? (?:a |an )?(?:satellite|"
    r"ballistic)|graves?|bodies (?:were )?(?:found|discovered|exhumed))\b",
    "civilian_target": r"\b(civilians?|villagers|worshippers|passers ?by|residents|shopkeepers?|farmers?|"
    r"journalists?|teachers?|students|women|children|family|families)\b",
    "disaster": r"\b(earthquakes?|floods?|flooding|cyclones?|hurricanes?|typhoons?|landslides?|wildfires?|"
    r"drought|tsunami|storms?|pandemic|covid|coronavirus|outbreak|epidemic|cases)\b",
    "accident": r"\b(accident\w*|derail\w*|collapsed?|plane crash|crashed|capsized|fire broke out|blaze|"
    r"gas leak|leak\w*|spill\w*|boiler)\b",
    "diplomacy": r"\b(diplomat\w*|ambassadors?|summit|talks|visit\w*|foreign minister|bilateral|condemn\w*|"
    r"sanctions?|embassy|envoy)\b",
    "crime": r"\b(drugs?|narcotics?|smuggl\w*|traffick\w*|cartels?|robbery|robbers|gangs?|heist|fraud|"
    r"money laundering|cocaine|heroin)\b",
    "attribution": r"\b(claimed responsibility|claims? of responsibility|blam\w*|accus\w*|responsible for)\b",
    "sport": r"\b(match|goal|striker|midfielder|championship|tournament|league|cup|coach|season|scored)\b",
    "business": r"\b(shares|profits?|market|investors?|economy|company|firms?|prices?|sales)\b",
}
_KEYWORD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in KEYWORD_CUES.items()
)

_NON_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def normalise(text: str) -> str:
    """Lower case, letters and digits only (digits -> 0), single spaces: what every feature is read from."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _NON_WORD.sub(" ", text)
    return _DIGIT.sub("0", text).strip()


def _bucket(feature: str, mask: int) -> int:
    return zlib.crc32(feature.encode("utf-8")) & mask


@lru_cache(maxsize=200_000)
def _char_grams(word: str, low: int, high: int) -> tuple[str, ...]:
    padded = f" {word} "
    grams = []
    for n in range(low, high + 1):
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


WORD_BLOCK, CHAR_BLOCK, KEYWORD_BLOCK = 0, 1, 2


def feature_strings(text: str, settings: FeatureSettings) -> Iterator[tuple[int, str]]:
    """Every feature of a text as (block, string), before hashing."""
    norm = normalise(text[: settings.max_chars])
    words = norm.split()
    low_w, high_w = settings.word_ngrams
    for n in range(low_w, high_w + 1):
        for i in range(len(words) - n + 1):
            yield WORD_BLOCK, " ".join(words[i : i + n])
    low_c, high_c = settings.char_ngrams
    for word in words:
        for gram in _char_grams(word, low_c, high_c):
            yield CHAR_BLOCK, gram
    if settings.keywords:
        yield from _keyword_features(norm)


def _keyword_features(norm: str) -> Iterator[tuple[int, str]]:
    """Cue counts (capped at 3), every pair of cues present (a linear model cannot form conjunctions itself:
    "protest" with "tear gas" is another sub-type than either alone), and which kind of actor is named first
    (the subject, usually: government regains vs non-state actor overtakes territory)."""
    present: list[str] = []
    first_position: dict[str, int] = {}
    for name, pattern in _KEYWORD_PATTERNS:
        matches = list(pattern.finditer(norm))
        if matches:
            present.append(name)
            first_position[name] = matches[0].start()
            for _ in range(min(len(matches), 3)):
                yield KEYWORD_BLOCK, name
    for i, first in enumerate(present):
        for second in present[i + 1 :]:
            yield KEYWORD_BLOCK, f"{first}&{second}"
    actors = [(first_position[a], a) for a in ("state_actor", "nonstate_actor") if a in first_position]
    if actors:
        subject = min(actors)[1]
        yield KEYWORD_BLOCK, "first:" + subject
        for name in present:
            yield KEYWORD_BLOCK, f"first:{subject}&{name}"


def hashed_counts(text: str, settings: FeatureSettings) -> dict[int, int]:
    """Bucket -> raw count for one text; a bucket's block is `bucket >> hash_bits`.

    The same as hashing every `feature_strings()` item, but a word's character n-grams and its own bucket are
    hashed once per process (cached), which makes this the hot path it needs to be (hundreds of features per
    sentence)."""
    bits = settings.hash_bits
    mask = (1 << bits) - 1
    norm = normalise(text[: settings.max_chars])
    words = norm.split()
    buckets: list[int] = []
    low_w, high_w = settings.word_ngrams
    for n in range(low_w, high_w + 1):
        if n == 1:
            buckets.extend(_word_bucket(word, bits) for word in words)
        else:
            buckets.extend(_bucket(" ".join(words[i : i + n]), mask) for i in range(len(words) - n + 1))
    low_c, high_c = settings.char_ngrams
    for word in words:
        buckets.extend(_char_buckets(word, low_c, high_c, bits))
    if settings.keywords:
        keyword_offset = KEYWORD_BLOCK << bits
        buckets.extend(_bucket(feature, mask) | keyword_offset for _, feature in _keyword_features(norm))
    return dict(Counter(buckets))


@lru_cache(maxsize=200_000)
def _word_bucket(word: str, bits: int) -> int:
    return _bucket(word, (1 << bits) - 1) | (WORD_BLOCK << bits)


@lru_cache(maxsize=200_000)
def _char_buckets(word: str, low: int, high: int, bits: int) -> tuple[int, ...]:
    mask = (1 << bits) - 1
    offset = CHAR_BLOCK << bits
    return tuple(_bucket(gram, mask) | offset for gram in _char_grams(word, low, high))


def block_tfidf(buckets: np.ndarray, counts: np.ndarray, idf: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Sublinear TF x IDF, L2-normalised within each block and scaled by the block's weight."""
    weights = ((1.0 + np.log(counts)) * idf).astype(np.float32)
    blocks = buckets >> settings.hash_bits
    for block, block_weight in enumerate(settings.block_weights):
        in_block = blocks == block
        norm = float(np.sqrt(np.dot(weights[in_block], weights[in_block])))
        if norm > 0:
            weights[in_block] *= block_weight / norm
    return weights


class _LinearModel:
    """TF-IDF over the buckets seen in training, then a linear layer: the numpy half of a trained artefact."""

    def __init__(self, path: Path):
        with np.load(path, allow_pickle=False) as data:
            self.settings = FeatureSettings.from_json(str(data["settings"]))
            self.buckets = data["buckets"].astype(np.int64)  # sorted
            self.idf = data["idf"].astype(np.float32)
            self.coef = data["coef"].astype(np.float32)  # (n_buckets, n_outputs)
            self.intercept = data["intercept"].astype(np.float32)
            self.classes = [str(c) for c in data["classes"]]
            self.calibration = data["calibration"].astype(np.float64)  # (a, b) of a sigmoid, or temperature
            self.threshold = float(data["threshold"])
        self.path = path

    def vectorize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices into the model's buckets and their TF-IDF weights (L2-normalised) for one text."""
        counts = hashed_counts(text, self.settings)
        if not counts:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        keys = np.fromiter(counts.keys(), np.int64, len(counts))
        values = np.fromiter(counts.values(), np.float32, len(counts))
        rows = np.searchsorted(self.buckets, keys)
        rows[rows == len(self.buckets)] = 0
        known = self.buckets[rows] == keys
        rows, values = rows[known], values[known]
        return rows, block_tfidf(keys[known], values, self.idf[rows], self.settings)

    def decision(self, texts: Iterable[str]) -> np.ndarray:
        """Linear scores, one row per text."""
        out = []
        for text in texts:
            rows, weights = self.vectorize(text)
            out.append(weights @ self.coef[rows] + self.intercept)
        if not out:
            return np.empty((0, len(self.intercept)), np.float32)
        return np.vstack(out)


class _EncoderHead:
    """A fine-tuned encoder (`transforms/encoder.py`) and the linear head trained with it, read from one artefact:
    scaled head logits over the L2-normalised mean-pooled embeddings, and the weight the encoder votes with."""

    def __init__(self, path: Path, compact: bool = False):
        from transforms.encoder import SentenceEncoder

        self.encoder = SentenceEncoder.load(path, compact)
        with np.load(path, allow_pickle=False) as data:
            self.weight = data["head.weight"].astype(np.float32).T  # (dim, outputs)
            self.bias = data["head.bias"].astype(np.float32)
            self.scale = float(data["head.scale"])
            self.mix_weight = float(data["mix_weight"])
            self._read_settings(data)

    def _read_settings(self, data) -> None:
        """The artefact's own settings, beside the head."""

    def head(self, pooled: np.ndarray) -> np.ndarray:
        return (pooled @ self.weight + self.bias).astype(np.float64) * self.scale


class _SubEventHead(_EncoderHead):
    """The sentence encoder's softmax head over the sub-event types (`training/train_encoder.py`)."""

    def _read_settings(self, data) -> None:
        self.classes = [str(c) for c in data["classes"]]

    def logits(self, texts: list[str]) -> np.ndarray:
        return self.head(self.encoder.encode(texts))


class _RelevanceEncoder(_EncoderHead):
    """The fine-tuned relevance encoder (`training/train_relevance_encoder.py`): one logit per document, the highest of
    its windows' (consecutive windows of `max_tokens` word pieces). Trained on up to `max_windows` windows per
    document; it reads as many as it is asked to. Loaded compact: it is called once per uncertain article, on long
    inputs, so dequantising its layers per call costs little."""

    def __init__(self, path: Path):
        super().__init__(path, compact=True)

    def _read_settings(self, data) -> None:
        self.max_tokens = int(data["max_tokens"])
        self.max_windows = int(data["max_windows"])

    def window_logits(self, texts: list[str], windows: int | None = None) -> list[np.ndarray]:
        """Each text's window logits, in order (the first `windows`, default `max_windows`)."""
        windows = self.max_windows if windows is None else windows
        docs = [self.encoder.tokenizer.windows(text, self.max_tokens, windows) for text in texts]
        logits = self.head(self.encoder.encode_ids([w for doc in docs for w in doc]))[:, 0]
        ends = np.cumsum([len(doc) for doc in docs], dtype=int)
        return [logits[end - len(doc) : end] for doc, end in zip(docs, ends, strict=True)]

    def logits(self, texts: list[str], windows: int | None = None) -> np.ndarray:
        return np.array([w.max() for w in self.window_logits(texts, windows)])


def _log_odds(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


class ConflictClassifier(LoadedOnce):
    """Probability that an article reports political violence, protest or armed conflict in ACLED's scope.

    Two models vote. The linear n-gram model (Platt-calibrated) reads every article. Where it is unsure (its
    probability within `band`), the fine-tuned relevance encoder reads the article too, and the decision is the
    weighted mean of both models' log-odds, each taken relative to its own decision point (the linear model's
    threshold, the encoder's 0), shifted back onto the linear model's scale. docs/models.md has the figures.
    """

    _cache: ClassVar[dict[tuple[Path, Path | None], ConflictClassifier]] = {}  # (linear, encoder) paths
    _lock: ClassVar[threading.Lock] = threading.Lock()
    # The encoder reads an article only when the linear model's probability lies in `band`, and then only its first
    # `windows` windows of 256 word pieces: each window costs ~100 ms of one core. On the held-out split every band
    # from (0.1, 0.9) to (0.25, 0.75) with 1 to 3 windows scores F1 0.951-0.956 (docs/models.md); these settings
    # keep a whole article's analysis within 2x a bare trafilatura.extract. Set them per process, before scoring.
    band: ClassVar[tuple[float, float]] = (0.2, 0.8)
    windows: ClassVar[int] = 1

    def __init__(self, model: _LinearModel, encoder: _RelevanceEncoder | None = None, threshold: float | None = None):
        self._model = model
        self._encoder = encoder
        self.threshold = model.threshold if threshold is None else threshold

    @classmethod
    def load(
        cls, path: Path = RELEVANCE_MODEL, encoder_path: Path | None = RELEVANCE_ENCODER_MODEL
    ) -> ConflictClassifier:
        """The shipped model, read once per process (Beam workers call this from every DoFn.setup()), with the
        encoder when `encoder_path` is given (the default: the shipped one)."""
        linear, encoder = Path(path), None if encoder_path is None else Path(encoder_path)
        return cls._loaded(
            (linear, encoder),
            lambda: cls(_LinearModel(linear), None if encoder is None else _RelevanceEncoder(encoder)),
        )

    @property
    def uses_encoder(self) -> bool:
        return self._encoder is not None

    @staticmethod
    def document(title: str | None, text: str) -> str:
        """The text the model reads: the title counts as the first sentence."""
        return f"{title}.\n{text}" if title else text

    def score(self, title: str | None, text: str) -> float:
        return self.score_many([(title, text)])[0]

    def linear_scores(self, documents: list[str]) -> np.ndarray:
        """The linear model's calibrated probabilities alone."""
        decision = self._model.decision(documents)[:, 0].astype(np.float64)
        a, b = self._model.calibration
        return 1.0 / (1.0 + np.exp(-(a * decision + b)))

    def combine(self, linear: np.ndarray, encoder_logits: np.ndarray) -> np.ndarray:
        """The voted probability from the linear model's probabilities and the encoder's logits."""
        if self._encoder is None:
            raise ValueError("this classifier was loaded without its encoder")
        centre = _log_odds(self.threshold)
        weight = self._encoder.mix_weight
        mixed = (1 - weight) * (_log_odds(linear) - centre) + weight * encoder_logits
        return 1.0 / (1.0 + np.exp(-(mixed + centre)))

    def score_many(self, docs: list[tuple[str | None, str]]) -> list[float]:
        documents = [self.document(t, x or "") for t, x in docs]
        scores = self.linear_scores(documents)
        if self._encoder is not None:
            low, high = self.band
            read = [i for i, p in enumerate(scores) if low <= p <= high]
            if read:
                logits = self._encoder.logits([documents[i] for i in read], self.windows)
                scores[read] = self.combine(scores[read], logits)
        return [float(p) for p in scores]

    def is_conflict(self, score: float) -> bool:
        return score >= self.threshold


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def mix(linear: np.ndarray, encoder_logits: np.ndarray, weight: float) -> np.ndarray:
    """Weighted mean of the two models' log-probabilities, renormalised (a product of experts)."""
    mixed = weight * _log_softmax(encoder_logits) + (1 - weight) * np.log(np.maximum(linear, 1e-300))
    return np.exp(_log_softmax(mixed))


class SubEventClassifier(LoadedOnce):
    """ACLED sub-event type of a sentence or snippet, or None for a snippet that is no ACLED event.

    Two models vote: the linear n-gram model reads every sentence; the fine-tuned encoder reads the sentences the
    linear model gives an ACLED type (`gated`: about one news sentence in nine), and for those the answer mixes both
    models' log-probabilities with the encoder's `mix_weight`, so the encoder can correct the type or veto the
    event. The encoder costs ~15 ms a sentence and the linear model
    ~0.1 ms; reading every sentence would cost a conflict article about a second. docs/models.md has the figures.
    """

    _cache: ClassVar[dict[tuple[Path, Path | None], SubEventClassifier]] = {}  # (linear, encoder) paths
    _lock: ClassVar[threading.Lock] = threading.Lock()
    # The encoder also reads sentences the linear model answers None for when their probability of "no event" is
    # below `gate`. 0 (the default): only sentences the linear model types. Raising it finds events the n-grams
    # miss but costs: at 0.7, CASE CV F1 0.817 instead of 0.798, and 2.5x a bare trafilatura instead of ~2x
    # (docs/models.md). Set it per process, before the first `load()`.
    gate: ClassVar[float] = 0.0
    # A type the linear model gives with at least this probability stands without the encoder: the mix changed no
    # such answer in CV (0.798 either way) and it saves 15% of the encoder's reads.
    sure: ClassVar[float] = 0.9

    def __init__(self, model: _LinearModel, encoder: _SubEventHead | None = None):
        self._model = model
        self._encoder = encoder
        self.classes: list[str] = model.classes
        if encoder is not None and encoder.classes != self.classes:
            raise ValueError(f"encoder classes {encoder.classes} differ from the linear model's {self.classes}")
        # Below this probability the best ACLED type is not trusted and the answer is None.
        self.threshold = model.threshold

    @classmethod
    def load(cls, path: Path = SUB_EVENT_MODEL, encoder_path: Path | None = ENCODER_MODEL) -> SubEventClassifier:
        """The linear model, with the encoder when `encoder_path` is given (the default: the shipped one)."""
        linear, encoder = Path(path), None if encoder_path is None else Path(encoder_path)
        return cls._loaded(
            (linear, encoder), lambda: cls(_LinearModel(linear), None if encoder is None else _SubEventHead(encoder))
        )

    @property
    def uses_encoder(self) -> bool:
        return self._encoder is not None

    def linear_probabilities(self, texts: list[str]) -> np.ndarray:
        """Softmax of the linear model alone (its own temperature)."""
        logits = self._model.decision(texts).astype(np.float64) / float(self._model.calibration[0])
        return np.exp(_log_softmax(logits))

    def encoder_probabilities(self, texts: list[str]) -> np.ndarray:
        """Softmax of the encoder alone (every text is encoded)."""
        if self._encoder is None:
            raise ValueError("this classifier was loaded without its encoder")
        if not texts:
            return np.empty((0, len(self.classes)))
        return np.exp(_log_softmax(self._encoder.logits(texts)))

    def probabilities(self, texts: list[str], linear: np.ndarray | None = None) -> np.ndarray:
        """Softmax over `classes` (the 25 ACLED sub-types and NONE_LABEL), one row per text. `linear`: the texts'
        `linear_probabilities` when the caller has them already."""
        if linear is None:
            linear = self.linear_probabilities(texts)
        if self._encoder is None or not texts:
            return linear
        read = self.gated(linear)
        if not read:
            return linear
        out = linear.copy()
        out[read] = mix(linear[read], self._encoder.logits([texts[i] for i in read]), self._encoder.mix_weight)
        return out

    def gated(self, linear: np.ndarray) -> list[int]:
        """Rows of linear probabilities the encoder reads: those the linear model gives an ACLED type with a
        probability below `sure`, and those whose probability of "no event" is below `gate`."""
        none = self.classes.index(NONE_LABEL)
        return [
            i
            for i, (label, probability) in enumerate(self.decide(linear))
            if (label is not None and probability < self.sure) or (label is None and linear[i, none] < self.gate)
        ]

    def predict(self, text: str) -> tuple[str | None, float]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: list[str]) -> list[tuple[str | None, float]]:
        """(ACLED sub-event type or None, its probability) per text; for None, the probability of "no event"."""
        if not texts:
            return []
        return self.decide(self.probabilities(texts))

    def decide(self, probs: np.ndarray) -> list[tuple[str | None, float]]:
        """`predict_many`'s answers from rows `probabilities` already gave (texts are featurised once)."""
        best = probs.argmax(axis=1)
        out: list[tuple[str | None, float]] = []
        none_index = self.classes.index(NONE_LABEL)
        for row, index in zip(probs, best, strict=True):
            label = self.classes[index]
            if label == NONE_LABEL or row[index] < self.threshold:
                out.append((None, float(row[none_index])))
            else:
                out.append((label, float(row[index])))
        return out


# The models were trained on English only: in another language they read noise (about 0.5), so they do not guess.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en",)


def reads_language(article: Article, languages: tuple[str, ...] | None) -> bool:  # type: ignore[valid-type]
    """Whether the model can assess this article: its detected language is one it was trained on (or unknown)."""
    language = (article.language or "").lower().split("-")[0]
    return languages is None or not language or language in languages


def assess(
    classifier: ConflictClassifier,
    article: Article,  # type: ignore[valid-type]
    languages: tuple[str, ...] | None = SUPPORTED_LANGUAGES,
) -> Article:  # type: ignore[valid-type]
    """The article with `is_conflict` and `conflict_score` set; both None when the model cannot read its language.

    None ("not assessed") is not the same as False ("not conflict").
    """
    if not reads_language(article, languages):
        return article._replace(is_conflict=None, conflict_score=None)
    score = classifier.score(article.title, article.text or article.description or "")
    return article._replace(is_conflict=classifier.is_conflict(score), conflict_score=score)


# The Beam transform lives in transforms/classify_beam.py, imported on first use: `conflictwire analyze` calls this
# module's functions without ever importing Apache Beam (about 2 s of start-up).
__getattr__ = lazy_exports(__name__, frozenset({"_ClassifyArticleFn", "ClassifyConflict"}), "transforms.classify_beam")
