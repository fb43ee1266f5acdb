"""The spaCy pipeline Rasa's SpacyNLP loads: Pennsylvania places as `location` entities.

Run with the engine venv: `.venv-engine/bin/python -m bot.spacy_gazetteer [--force]`
(bot/launch.py calls `ensure()` before train, run, test-stories and nlu-eval).

What it builds: `spacy.blank("en")` plus an `entity_ruler` with one phrase pattern per entry
of the generated lookup table data/nlu/lookups/location.yml (`navigator nlu lookups` writes it
from resources_db's gazetteer; this module reads that file and never imports resources_db),
matched on the lower-cased token text, label `location`; two-word names also get their
hyphenated spelling ("wilkes-barre"). No statistical model and no download: spaCy's own
tokenizer and the ruler's longest-match rule ("erie county" over "erie"; never "erie" inside
"eerie", matching is per token).

Saved at models/spacy-gazetteer/ with the hash of what it was built from
(`gazetteer.sha256`: the lookup file's content, this builder's version and spaCy's version);
rebuilt only when that hash changes. Building takes a lock (several engines may start at
once) and swaps the finished directory into place.

Standard library at import time; spaCy is imported only to build.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOKUP = ROOT / "data" / "nlu" / "lookups" / "location.yml"
TARGET = ROOT / "models" / "spacy-gazetteer"
HASH_NAME = "gazetteer.sha256"
LABEL = "location"
BUILDER_VERSION = "2"  # bump when the way patterns are made changes
# Two-word names people hyphenate ("wilkes-barre", "king-of-prussia" is three and not done);
# not "erie county", "erie co", "x township".
_NO_HYPHEN_AFTER = {"county", "co", "township", "twp", "borough", "boro", "city", "pa"}
# Phrases with a place name inside that are not places: matched as a longer span with another
# label, they win over the place and are filtered out by SpacyEntityExtractor's dimensions.
NOT_PLACES = ("oxford house", "oxford houses")  # a kind of recovery residence, not Oxford, PA


def lookup_entries(path: Path = LOOKUP, name: str = LABEL) -> list[str]:
    """The entries of the lookup table `name` in a Rasa NLU YAML file (the generated format:
    `- lookup: NAME` then `examples: |` then one `- entry` a line)."""
    entries: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        header = re.match(r"\s*-\s*(lookup|intent|regex|synonym)\s*:\s*(.+?)\s*$", line)
        if header:
            inside = header.group(1) == "lookup" and header.group(2).strip("'\"") == name
            continue
        item = re.match(r"\s+-\s+(.+?)\s*$", line)
        if inside and item:
            entries.append(item.group(1))
    return entries


def patterns(entries: list[str]) -> list[dict[str, str]]:
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for entry in entries:
        text = " ".join(entry.lower().split())
        variants = [text]
        words = text.split(" ")
        if len(words) == 2 and all(w.isalpha() for w in words) and words[1] not in _NO_HYPHEN_AFTER:
            variants.append("-".join(words))
        for variant in variants:
            if variant and variant not in seen:
                seen.add(variant)
                out.append({"label": LABEL, "pattern": variant})
    return out


def source_hash(lookup: Path = LOOKUP) -> str:
    digest = hashlib.sha256()
    digest.update(lookup.read_bytes())
    digest.update(f"builder={BUILDER_VERSION};spacy={metadata.version('spacy')}".encode())
    return digest.hexdigest()


def is_current(target: Path = TARGET, lookup: Path = LOOKUP) -> bool:
    stored = target / HASH_NAME
    return (target / "config.cfg").is_file() and stored.is_file() \
        and stored.read_text().strip() == source_hash(lookup)


def build(target: Path, lookup: Path = LOOKUP) -> int:
    """Build the pipeline into `target` (a new directory); returns the number of patterns."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    found = patterns(lookup_entries(lookup))
    if not found:
        raise SystemExit(f"no `{LABEL}` lookup entries in {lookup}: run `navigator nlu lookups`")
    ruler.add_patterns(found + [{"label": "not_location", "pattern": p} for p in NOT_PLACES])
    nlp.meta["name"] = "spacy_gazetteer"
    nlp.meta["description"] = f"blank en + entity_ruler from {lookup.name} ({len(found)} patterns)"
    nlp.to_disk(target)
    return len(found)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure(target: Path = TARGET, lookup: Path = LOOKUP, force: bool = False) -> bool:
    """Make `target` hold the pipeline for the current lookup file; True when it was rebuilt."""
    if not force and is_current(target, lookup):
        return False
    with _locked(target.with_name(target.name + ".lock")):
        if not force and is_current(target, lookup):  # another process built it meanwhile
            return False
        fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            fresh.chmod(0o755)
            count = build(fresh, lookup)
            (fresh / HASH_NAME).write_text(source_hash(lookup) + "\n")
            old = target.with_name(f".{target.name}-old-{os.getpid()}")
            if target.exists():
                target.rename(old)
            fresh.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    print(f"[spacy-gazetteer] built {_shown(target)} ({count} patterns)", flush=True)
    return True


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str]) -> int:
    """`[--force] [--lookup FILE] [--target DIR]` (defaults: the project's lookup and TARGET)."""
    def option(name: str, default: Path) -> Path:
        return Path(argv[argv.index(name) + 1]).resolve() if name in argv else default

    target, lookup = option("--target", TARGET), option("--lookup", LOOKUP)
    if not ensure(target, lookup, force="--force" in argv):
        print(f"[spacy-gazetteer] {_shown(target)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
