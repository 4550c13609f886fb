"""Rebuild the shipped list of common English words (`transforms/data/en/common_words.txt`).

    .venv/bin/python -m training.build_common_words            # write the list
    .venv/bin/python -m training.build_common_words --check    # exit 1 if the shipped list is not what this builds

In a text that lost its capitals (IndiaPoliceEvents' Times of India archive), a name is told from a word by not
being a word: "violence erupted in tulsiwadi area of vadodara" names a quarter, "the sensitive area of vadodara" does
not. A word is common when cased English news writes it in lower case in mid-sentence in at least `MIN_DOCUMENTS`
documents: names are capitalised there, so they stay out. Source texts: GVDB's `dev` split, the BBC politics
corpus, FA-KES's training half, less every document no model may train on (`training.corpora.training_excluded`),
and the sentences of CAMEO-pentaclass and SATP (one document each).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from training.corpora import SHARED_DATA, bbc_texts, fakes, fakes_split, gvdb, training_excluded
from transforms.geo import COMMON_WORDS

MIN_DOCUMENTS = 2
# a lower-case word after a word (not after a sentence's end): where English capitalises only names
_MID_SENTENCE = re.compile(r"(?<=[a-z,;] )([a-z][a-z'’-]*[a-z])\b")


def source_texts() -> list[str]:
    excluded = training_excluded()
    texts = [r["text"] for i, r in sorted(gvdb().items()) if r["split"] == "dev" and f"gvdb:{i}" not in excluded]
    texts += [t for n, t in enumerate(bbc_texts()) if f"bbc:{n}" not in excluded]
    texts += [
        r["text"] for i, r in sorted(fakes().items()) if fakes_split(i) == "train" and f"fakes:{i}" not in excluded
    ]
    for corpus in ("cameo-pentaclass", "satp-relevant"):
        lines = (SHARED_DATA / corpus / "train.tsv").read_text(encoding="utf-8").splitlines()
        texts += [line.rsplit("\t", 1)[0] for line in lines if line.strip()]
    return texts


def build_list(texts: list[str]) -> str:
    documents: Counter[str] = Counter()
    for text in texts:
        documents.update({m.group(1) for m in _MID_SENTENCE.finditer(text)})
    words = sorted(w for w, n in documents.items() if n >= MIN_DOCUMENTS)
    header = (
        "# Common English words: written in lower case in mid-sentence by cased news in at least "
        f"{MIN_DOCUMENTS} documents.\n# Built by `python -m training.build_common_words` (GVDB dev, BBC politics, "
        "FA-KES training half, CAMEO-pentaclass, SATP).\n"
    )
    return header + "".join(f"{w}\n" for w in words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the shipped list instead of writing it")
    args = parser.parse_args(argv)
    built = build_list(source_texts())
    target = Path(COMMON_WORDS)
    if args.check:
        same = target.exists() and target.read_text(encoding="utf-8") == built
        print("common words: up to date" if same else "common words: differ from what this builds")
        return 0 if same else 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(built, encoding="utf-8")
    print(f"wrote {target}: {built.count(chr(10)) - 2} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
