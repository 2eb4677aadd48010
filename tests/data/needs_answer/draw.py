"""Draws the needs-answer sets from the shared tone corpora (run once; the labels were then added by hand).

    .venv/bin/python tests/data/needs_answer/draw.py [../shared/data/tone] [--force]
    .venv/bin/python tests/data/needs_answer/draw.py --append-large   # appends d301-d900 to the 300 in dev.csv
    .venv/bin/python tests/data/needs_answer/draw.py --replies        # the reply-stream set, replies.csv
    .venv/bin/python tests/data/needs_answer/draw.py --replies --append-potts  # its SB10k rows out, 160 PotTS in
    .venv/bin/python tests/data/needs_answer/draw.py --train          # the model's training set, train.csv

Measured set (`labelled.csv`): 300 German tweets from PotTS dev and 120 English tweets from TweetEval val
(m001-m420), then 50 replies with a question mark from PotTS train (PotTS dev has too few left) and 30 from
TweetEval val (m421-m500), because the first draw held only 42
comments that need an answer. Development set (`dev.csv`, for tuning the rules): 140 German tweets from PotTS
train and 60 other English tweets from TweetEval val (d001-d200), then 60 + 40 more with a question mark
(d201-d300); then 600 more from the train splits (320 German from PotTS train, 280 English from TweetEval train;
d301-d900) to learn from. Strata use signals that do not come from the detector:
whether the text has a question mark, whether it is a reply (starts with @user), and whether the corpus's human
tone label is negative (for complaints). Fixed seed, so a rerun draws the same items; it writes the texts with
empty label columns and refuses to overwrite a labelled file.
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
# Drawn after MEASURED and appended to it with the following ids.
MEASURED_EXTRA = [
    ("potts_de.csv", "train", "de", {"@?": 50}),
    ("semeval2017_tweeteval_en.csv", "dev", "en", {"@?": 30}),
]
DEVELOPMENT = [
    ("potts_de.csv", "train", "de", {"?": 60, "neg": 40, "rest": 40}),
    ("semeval2017_tweeteval_en.csv", "dev", "en", {"?": 25, "neg": 20, "rest": 15}),
]
# Drawn after DEVELOPMENT and appended to it (d201-d300): more questions to tune on.
DEVELOPMENT_EXTRA = [
    ("potts_de.csv", "train", "de", {"?": 60}),
    ("semeval2017_tweeteval_en.csv", "dev", "en", {"?": 40}),
]
# Drawn after DEVELOPMENT_EXTRA and appended to it (d301-d900): a development set large enough to learn from, with
# many question marks and many negatives, from the train splits (never the measured set's splits' items).
DEVELOPMENT_LARGE = [
    ("potts_de.csv", "train", "de", {"?": 170, "neg": 75, "rest": 75}),
    ("semeval2017_tweeteval_en.csv", "train", "en", {"?": 140, "neg": 70, "rest": 70}),
]
# The reply-stream set (replies.csv, r001-r521, before REPLIES_EXTRA below): every reply (text starts with @user, no
# retweet) in the held-out dev splits of SB10k and PotTS, and 240 drawn from TweetEval val's, none in the sets above.
# Not stratified: the share of replies that need an answer is the stream's own. A reply is written to an account,
# as a comment under a post is, which the stratified sets above are not.
REPLIES = [
    ("sb10k_de.csv", "dev", "de", None),
    ("potts_de.csv", "dev", "de", None),
    ("semeval2017_tweeteval_en.csv", "dev", "en", 240),
]
# Appended to replies.csv (r522-r681) after SB10k's rows were dropped from it: SB10k is not used (its annotations
# carry no licence and its authors did not distribute the texts; tests/data/needs_answer/README.md), so 160 replies
# from PotTS train take their place; drawn after REPLIES with the same generator.
REPLIES_EXTRA = ("potts_de.csv", "train", "de", 160)
# The training set (train.csv, t0001-t2400) of the needs-answer model, drawn after everything above from the train
# splits only, none of whose items or texts is in another set. Strata: "@?" a reply with a question mark, "@" a reply
# without one (requests, complaints, thanks), "?" any other with a question mark, "neg" and "rest" as above.
# PotTS train holds only 59 replies with a question mark outside the other sets, so German takes all of them.
TRAINING = [
    ("potts_de.csv", "train", "de", {"@?": 59, "@": 400, "?": 250, "neg": 150, "rest": 141}),
    ("semeval2017_tweeteval_en.csv", "train", "en", {"@?": 400, "@": 500, "?": 200, "neg": 150, "rest": 150}),
]
COLUMNS = ["id", "source", "language", "text", "needs_answer", "reason", "note"]


def draw_training(data: Path) -> None:
    """Write train.csv with empty label columns (refuses to overwrite it)."""
    taken: set[str] = set()
    for name in ("labelled.csv", "dev.csv", "replies.csv"):
        with (HERE / name).open(encoding="utf-8", newline="") as fh:
            taken |= {v for r in csv.DictReader(fh) for v in (r["source"], r["text"])}
    rng = random.Random(SEED + 1)
    out = []
    for file, split, lang, counts in TRAINING:
        with (data / file).open(encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["split"] == split and not {r["source"], r["text"]} & taken]
        for key, n in counts.items():
            pool = sorted((r for r in rows if in_stratum(r, key) and r["text"] not in taken), key=lambda r: r["source"])
            for row in rng.sample(pool, n):
                taken |= {row["source"], row["text"]}
                out.append((row["source"], lang, row["text"]))
    rng.shuffle(out)
    _write_unlabelled(HERE / "train.csv", "t{:04d}", out)


def _write_unlabelled(path: Path, id_format: str, items: list[tuple[str, str, str]]) -> None:
    """Write (source, language, text) items with ids and empty label columns; never over a labelled file."""
    if path.exists():
        raise SystemExit(f"{path} exists (and holds labels)")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for i, (source, lang, text) in enumerate(items, start=1):
            writer.writerow([id_format.format(i), source, lang, text, "", "", ""])


def draw_replies(data: Path) -> None:
    """Write replies.csv with empty label columns (refuses to overwrite it)."""
    taken = set()
    for name in ("labelled.csv", "dev.csv"):
        with (HERE / name).open(encoding="utf-8", newline="") as fh:
            taken |= {r["source"] for r in csv.DictReader(fh)}
    rng = random.Random(SEED)
    out = []
    for file, split, lang, n in REPLIES:
        pool = _reply_pool(data / file, split, taken)
        out += [(r["source"], lang, r["text"]) for r in (rng.sample(pool, n) if n is not None else pool)]
    rng.shuffle(out)
    path = HERE / "replies.csv"
    if "--append-potts" in sys.argv:
        _append_potts(data, path, rng, taken | {source for source, _, _ in out})
        return
    _write_unlabelled(path, "r{:03d}", out)


def in_stratum(row: dict[str, str], key: str) -> bool:
    text = row["text"]
    if key == "@?":
        return text.startswith("@user") and "?" in text
    if key == "@":
        return text.startswith("@user") and "?" not in text
    if "?" in text:
        return key == "?"
    return key == ("neg" if row["label"] == "negative" else "rest")


def draw(data: Path) -> None:
    rng = random.Random(SEED)
    taken: set[str] = set()
    parts: dict[str, list[list[tuple[str, str, str]]]] = {"labelled.csv": [], "dev.csv": []}
    for name, plan in (
        ("labelled.csv", MEASURED),
        ("labelled.csv", MEASURED_EXTRA),
        ("dev.csv", DEVELOPMENT),
        ("dev.csv", DEVELOPMENT_EXTRA),
        ("dev.csv", DEVELOPMENT_LARGE),
    ):
        out = []
        for file, split, lang, counts in plan:
            with (data / file).open(encoding="utf-8", newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if r["split"] == split and r["source"] not in taken]
            for key, n in counts.items():
                pool = sorted((r for r in rows if in_stratum(r, key)), key=lambda r: r["source"])
                for row in rng.sample(pool, n):
                    taken.add(row["source"])
                    out.append((row["source"], lang, row["text"]))
        rng.shuffle(out)
        parts[name].append(out)
    if "--append-large" in sys.argv:
        # Append only the DEVELOPMENT_LARGE part to a dev.csv that holds the first 300 labelled items.
        path = HERE / "dev.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            existing = list(csv.DictReader(fh))
        if len(existing) != 300:
            raise SystemExit(f"{path} holds {len(existing)} items, not the 300 the large part is appended to")
        with path.open("a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            for i, (source, lang, text) in enumerate(parts["dev.csv"][-1], start=301):
                writer.writerow([f"d{i:03d}", source, lang, text, "", "", ""])
        return
    for name, prefix in (("labelled.csv", "m"), ("dev.csv", "d")):
        path = HERE / name
        if path.exists() and "--force" not in sys.argv:
            raise SystemExit(f"{path} exists (and holds labels); pass --force to overwrite it")
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            items = [item for part in parts[name] for item in part]
            for i, (source, lang, text) in enumerate(items, start=1):
                writer.writerow([f"{prefix}{i:03d}", source, lang, text, "", "", ""])


def _reply_pool(path: Path, split: str, taken: set[str]) -> list[dict[str, str]]:
    """The replies (text starts with @user) of a corpus split not in `taken`, in a fixed order for the generator."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == split and r["text"].startswith("@user")]
    return sorted((r for r in rows if r["source"] not in taken), key=lambda r: r["source"])


def _append_potts(data: Path, path: Path, rng: random.Random, taken: set[str]) -> None:
    """Drop replies.csv's SB10k rows and append REPLIES_EXTRA's replies with empty labels (r522-...)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) != 521:
        raise SystemExit(f"{path} holds {len(rows)} items, not the 521 of the first draw")
    file, split, lang, n = REPLIES_EXTRA
    pool = _reply_pool(data / file, split, taken)
    kept = [r for r in rows if not r["source"].startswith("sb10k:")]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows([r[c] for c in COLUMNS] for r in kept)
        for i, r in enumerate(rng.sample(pool, n), start=len(rows) + 1):
            writer.writerow([f"r{i:03d}", r["source"], lang, r["text"], "", "", ""])


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = Path(args[0]) if args else HERE.parents[3] / "shared" / "data" / "tone"
    if "--train" in sys.argv:
        draw_training(folder)
    else:
        draw_replies(folder) if "--replies" in sys.argv else draw(folder)
