"""bot/spacy_gazetteer.py: the spaCy pipeline SpacyNLP loads, built from the generated lookup.

spaCy lives in the engine venv only, so the builder and the saved pipeline are exercised
through `.venv-engine/bin/python` in a subprocess, into a temporary directory (models/ is
left alone).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"

pytestmark = pytest.mark.skipif(not ENGINE_PYTHON.exists(), reason="no engine venv")

PROBE = """
import json, sys
from pathlib import Path
from bot.spacy_gazetteer import ensure
target, lookup = Path(sys.argv[1]), Path(sys.argv[2])
built = [ensure(target, lookup), ensure(target, lookup)]
lookup.write_text(lookup.read_text() + "      - zzyzx junction\\n")
built.append(ensure(target, lookup))
import spacy
nlp = spacy.load(target, disable=["parser"])
texts = sys.argv[3:]
print(json.dumps({"built": built, "ents": {
    t: [[e.text, e.label_] for e in nlp(t).ents] for t in texts}}))
"""

TEXTS = [
    "any jobs in wilkes barre",
    "need a room near Wilkes-Barre",
    "im in pgh rn",
    "Erie County child care",
    "an eerie feeling",
    "zzyzx junction",
]


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("gazetteer")
    lookup = folder / "location.yml"
    shutil.copy(ROOT / "data" / "nlu" / "lookups" / "location.yml", lookup)
    result = subprocess.run(
        [str(ENGINE_PYTHON), "-c", PROBE, str(folder / "spacy-gazetteer"), str(lookup), *TEXTS],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_places_from_the_gazetteer_are_location_entities(probe: dict) -> None:
    ents = probe["ents"]
    assert ents["any jobs in wilkes barre"] == [["wilkes barre", "location"]]
    assert ents["need a room near Wilkes-Barre"] == [["Wilkes-Barre", "location"]]
    assert ents["im in pgh rn"] == [["pgh", "location"]]
    # the longest name wins, in the person's own casing
    assert ents["Erie County child care"] == [["Erie County", "location"]]


def test_no_place_inside_a_word(probe: dict) -> None:
    assert probe["ents"]["an eerie feeling"] == []


def test_rebuilt_only_when_the_lookup_changes(probe: dict) -> None:
    assert probe["built"] == [True, False, True]
    assert probe["ents"]["zzyzx junction"] == [["zzyzx junction", "location"]]


def test_builder_imports_only_the_standard_library_and_spacy() -> None:
    tree = ast.parse((ROOT / "bot" / "spacy_gazetteer.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - {"spacy", "__future__"} <= set(sys.stdlib_module_names)
