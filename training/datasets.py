"""Loaders for the labelled corpora in ../shared/data, and the seeded, stratified held-out split.

Standard library only, so the benchmark and the tests can rebuild exactly the split the training script used
without scikit-learn. Every example keeps its corpus (`source`) and a stable `id`; the split is decided by a hash
of that id within each (source, label) group, so it does not depend on file order or library versions.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from transforms.acled import CASE2021_TO_ACLED

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CONFLICTWIRE_SHARED", REPO.parent / "shared")).resolve() / "data"

HAND_WRITTEN = REPO / "training" / "hard_negatives.tsv"
ACLED_STYLE_SNIPPETS = REPO / "training" / "acled_style_snippets.tsv"
ACLED_SCOPE_RELABELS = REPO / "training" / "acled_scope_relabels.tsv"
ACLED_SCOPE_SECOND_PASS = REPO / "training" / "acled_scope_second_pass.tsv"

TEST_FRACTION = 0.3
SPLIT_SEED = "conflictwire-classify-v1"
NONE_LABEL = "NONE"  # same as transforms.classify.NONE_LABEL


class Example(NamedTuple):
    id: str
    source: str
    text: str
    label: str  # relevance: "1"/"0"; sub-events: an ACLED sub-event type or NONE_LABEL


def _split_key(example_id: str) -> str:
    return hashlib.sha256(f"{SPLIT_SEED}\x1f{example_id}".encode()).hexdigest()


def split(examples: list[Example], test_fraction: float = TEST_FRACTION) -> tuple[list[Example], list[Example]]:
    """(train, test): within each (source, label) group, the test part is the round(fraction * n) examples whose
    seeded hash is smallest. Stratified, seeded and independent of input order."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.source, example.label)].append(example)
    test_ids: set[str] = set()
    for members in groups.values():
        ranked = sorted(members, key=lambda e: _split_key(e.id))
        test_ids.update(e.id for e in ranked[: round(test_fraction * len(ranked))])
    train = [e for e in examples if e.id not in test_ids]
    test = [e for e in examples if e.id in test_ids]
    return train, test


# --- raw corpora -------------------------------------------------------------------------------------------------


def case2021(root: Path = SHARED_DATA) -> list[tuple[str, str, str]]:
    """(id, snippet, CASE label) rows of the CASE 2021 task 2 release."""
    path = root / "case2021-task2-event-types" / "test_set_final_release_with_labels.tsv"
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            rows.append((row["id"].strip(), row["EventSnippet"].strip(), row["SubType"].strip()))
    return rows


def bbc(root: Path = SHARED_DATA) -> list[tuple[str, str, int]]:
    with gzip.open(root / "bbc-news-politics" / "train.tsv.gz", "rt", encoding="utf-8") as handle:
        rows = [line.rstrip("\n").rsplit("\t", 1) for line in handle if line.strip()]
    return [(f"bbc:{i}", text, int(label)) for i, (text, label) in enumerate(rows)]


def cameo(root: Path = SHARED_DATA) -> list[tuple[str, str, int]]:
    with (root / "cameo-pentaclass" / "train.tsv").open(encoding="utf-8", newline="") as handle:
        rows = [line.rstrip("\r\n").rsplit("\t", 1) for line in handle if line.strip()]
    return [(f"cameo:{i}", text, int(label)) for i, (text, label) in enumerate(rows)]


def satp(root: Path = SHARED_DATA) -> list[tuple[str, str, tuple[int, ...]]]:
    """(id, text, (armed assault, bombing, kidnapping, other)) rows; every row is a violent incident."""
    out = []
    with (root / "satp-relevant" / "train.tsv").open(encoding="utf-8", newline="") as handle:
        for i, line in enumerate(handle):
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) == 5:
                out.append((f"satp:{i}", parts[0], tuple(int(p) for p in parts[1:])))
    return out


def muc4(root: Path = SHARED_DATA) -> list[tuple[str, str, bool]]:
    """(id, document, has an incident) rows: an incident is any filled role."""
    with gzip.open(root / "muc4-grit" / "train.json.gz", "rt", encoding="utf-8") as handle:
        docs = json.load(handle)
    return [(f"muc4:{doc_id}", doc["doc"], any(doc["roles"].values())) for doc_id, doc in sorted(docs.items())]


def india_docs(root: Path = SHARED_DATA) -> list[tuple[str, str, frozenset[str]]]:
    out = []
    with gzip.open(root / "india-police-events" / "docs.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out.append((f"india:{row['doc_id']}", row["doc_text"], frozenset(row["doc_labels"])))
    return out


def india_sentences(root: Path = SHARED_DATA) -> list[tuple[str, str, str, frozenset[str]]]:
    """(sentence id, document id, sentence, labels)."""
    out = []
    with gzip.open(root / "india-police-events" / "sents.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out.append(
                (
                    f"india:{row['doc_id']}:{row['sent_id']}",
                    f"india:{row['doc_id']}",
                    row["sent_text"],
                    frozenset(row["sent_labels"]),
                )
            )
    return out


# --- task views --------------------------------------------------------------------------------------------------

# Police action the IndiaPoliceEvents annotators marked implies violence happened (FAIL: failed to stop it).
_INDIA_VIOLENT = frozenset({"KILL", "FORCE", "ARREST", "FAIL"})


def relevance_examples(root: Path = SHARED_DATA) -> list[Example]:
    """Documents and snippets labelled "1" (ACLED-scope conflict) or "0".

    Left out on purpose: CASE ATTRIB snippets (claims of responsibility *for* attacks: about conflict, yet
    not ACLED events by the CASE definition, so either label would be wrong) and IndiaPoliceEvents documents
    without a violent police label (many still cover the 2002 riots, so they are not safe negatives).
    """
    out: list[Example] = []
    for example_id, text, label in case2021(root):
        if label == "ATTRIB":
            continue
        out.append(Example(f"case:{example_id}", "case2021", text, "1" if CASE2021_TO_ACLED[label] else "0"))
    out += [Example(i, "bbc", text, "0") for i, text, _ in bbc(root)]
    out += [Example(i, "cameo", text, "1" if label == 4 else "0") for i, text, label in cameo(root)]
    out += [Example(i, "satp", text, "1") for i, text, _ in satp(root)]
    out += [Example(i, "muc4", text, "1" if incident else "0") for i, text, incident in muc4(root)]
    out += [Example(i, "india", text, "1") for i, text, labels in india_docs(root) if labels & _INDIA_VIOLENT]
    return out


def sub_event_examples(root: Path = SHARED_DATA) -> list[Example]:
    """CASE 2021 snippets labelled with the ACLED sub-event type, or NONE for the five non-ACLED types."""
    return [
        Example(f"case:{i}", "case2021", text, CASE2021_TO_ACLED[label] or NONE_LABEL)
        for i, text, label in case2021(root)
    ]


def in_acled_scope(examples: list[Example]) -> list[Example]:
    """The examples with MUC-4's and CAMEO's labels replaced by their ACLED-scope relabels.

    Apply it after `split()`: the split is stratified on the corpus labels, so it stays the same whichever labels a
    script trains or evaluates on."""
    relabels = acled_scope_relabels()
    return [e._replace(label=relabels.get(e.id, e.label)) for e in examples]


def hand_written_negatives(label: str = NONE_LABEL) -> list[Example]:
    """`training/hard_negatives.tsv`: hand-written sentences that report no event (training only), given `label`."""
    out = []
    for i, line in enumerate(HAND_WRITTEN.read_text(encoding="utf-8").splitlines()):
        if line.strip() and not line.startswith("#"):
            out.append(Example(f"hand:{i}", "hand_written", line.split("\t")[0], label))
    return out


def acled_style_snippets(path: Path = ACLED_STYLE_SNIPPETS) -> list[Example]:
    """`training/acled_style_snippets.tsv`: hand-written snippets labelled with an ACLED sub-event type or NONE
    (training only; training/README.md says how they were written)."""
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)):
            if row and not row[0].startswith("#"):
                out.append(Example(f"snippet:{i}", "acled_style", row[1].strip(), row[0].strip()))
    return out


def acled_scope_relabels(path: Path = ACLED_SCOPE_RELABELS) -> dict[str, str]:
    """Example id -> "1"/"0": ACLED-scope relevance labels of the MUC-4 and CAMEO texts, read by annotators
    (training/README.md)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            example_id, label = line.split("\t")[:2]
            out[example_id] = label
    return out


def acled_scope_readings(path: Path = ACLED_SCOPE_SECOND_PASS) -> dict[str, tuple[str, str, str]]:
    """Example id -> (first annotator's label, second annotator's label, final label) of the ACLED-scope relabels:
    the final label is the adjudicated one where the two disagreed (training/README.md)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            example_id, first, second, _, final = line.split("\t")[:5]
            out[example_id] = (first, second, final)
    return out


def sub_event_augmentation(root: Path = SHARED_DATA, exclude_ids: frozenset[str] = frozenset()) -> list[Example]:
    """Extra sub-event training examples from other corpora, only where the mapping is certain.

    - SATP incidents labelled kidnapping and nothing else -> Abduction/forced disappearance.
    - IndiaPoliceEvents sentences labelled ARREST and no use of force -> Arrests.
    - CAMEO sentences of classes 0-2 (statements, verbal and material cooperation) -> NONE.
    `exclude_ids` keeps the relevance test split's documents out (no leakage into its evaluation).
    """
    out: list[Example] = []
    for i, text, flags in satp(root):
        if flags == (0, 0, 1, 0) and i not in exclude_ids:
            out.append(Example(i, "satp", text, "Abduction/forced disappearance"))
    for sent_id, doc_id, text, labels in india_sentences(root):
        if "ARREST" in labels and not labels & {"KILL", "FORCE"} and doc_id not in exclude_ids:
            out.append(Example(sent_id, "india", text, "Arrests"))
    for i, text, label in cameo(root):
        if label in (0, 1, 2) and i not in exclude_ids:
            out.append(Example(i, "cameo", text, NONE_LABEL))
    return out
