"""Draws the needs-answer sets from the shared tone corpora (run once; the labels were then added by hand).

    .venv/bin/python tests/data/needs_answer/draw.py [../shared/data/tone]

Measured set (`labelled.csv`): 300 German tweets from PotTS dev and 120 English tweets from TweetEval val.
Development set (`dev.csv`, for tuning the rules): 140 German tweets from PotTS train and 60 other English tweets
from TweetEval val. Both are stratified by two signals that do not come from the detector: whether the text has
a question mark, and whether the corpus's human tone label is negative (for complaints). Fixed seed, so a rerun
draws the same items; it writes the texts with empty label columns.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

SEED = 30
HERE = Path(__file__).resolve().parent
# (file, split, language, {stratum: n}) per set; strata: "?" = has a question mark, "neg" = negative corpus
# label without a question mark, "rest" = everything else.
MEASURED = [
    ("potts_de.csv", "dev", "de", {"?": 100, "neg": 90, "rest": 110}),
    ("semeval2017_tweeteval_en.csv", "dev", "en", {"?": 45, "neg": 35, "rest": 40}),
]
DEVELOPMENT = [
    ("potts_de.csv", "train", "de", {"?": 60, "neg": 40, "rest": 40}),
    ("semeval2017_tweeteval_en.csv", "dev", "en", {"?": 25, "neg": 20, "rest": 15}),
]
COLUMNS = ["id", "source", "language", "text", "needs_answer", "reason", "note"]


def stratum(row: dict[str, str]) -> str:
    if "?" in row["text"]:
        return "?"
    return "neg" if row["label"] == "negative" else "rest"


def draw(data: Path) -> None:
    rng = random.Random(SEED)
    taken: set[str] = set()
    for name, plan, prefix in (("labelled.csv", MEASURED, "m"), ("dev.csv", DEVELOPMENT, "d")):
        out = []
        for file, split, lang, counts in plan:
            with (data / file).open(encoding="utf-8", newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if r["split"] == split and r["source"] not in taken]
            for key, n in counts.items():
                pool = sorted((r for r in rows if stratum(r) == key), key=lambda r: r["source"])
                for row in rng.sample(pool, n):
                    taken.add(row["source"])
                    out.append((row["source"], lang, row["text"]))
        rng.shuffle(out)
        with (HERE / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for i, (source, lang, text) in enumerate(out, start=1):
                writer.writerow([f"{prefix}{i:03d}", source, lang, text, "", "", ""])


if __name__ == "__main__":
    draw(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared" / "data" / "tone")
