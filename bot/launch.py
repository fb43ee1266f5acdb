"""Engine launch helpers, run with the engine venv: `.venv-engine/bin/python -m bot.launch CMD`.

  fingerprint  print the path of the model for the current config/domain/data
  train        train that model unless it already exists (content-hash cache)
  validate     rasa data validate
  test-stories rasa test core on tests/rasa/ with --fail-on-prediction-errors
  nlu-eval     5-fold cross-validation of the NLU: intent macro-F1, location-entity F1
  run          start the Rasa HTTP server on loopback with token auth (`run --port N`: that
               port instead of RASA_PORT); NAVIGATOR_PROFILE=prod uses endpoints.prod.yml

Standard library only at import time; rasa is started as a subprocess / exec'd.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
# What the trained model depends on. Anything else (actions, api) can change freely.
MODEL_INPUTS = ("config.yml", "domain.yml", "data", "bot")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")  # Rasa 3.6 uses SQLAlchemy 1.4 APIs
    env.setdefault("ACTION_PORT", "5055")
    env.setdefault("ACTION_SERVER_URL", f"http://127.0.0.1:{env['ACTION_PORT']}/webhook")
    env.setdefault("RASA_TRACKER_DB", str(ROOT / "var" / "rasa_tracker.db"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def is_prod(env: dict[str, str]) -> bool:
    return env.get("NAVIGATOR_PROFILE", "dev").lower() in ("prod", "production")


def endpoints_file(env: dict[str, str]) -> str:
    return "endpoints.prod.yml" if is_prod(env) else "endpoints.yml"


def prod_endpoint_env(env: dict[str, str]) -> dict[str, str]:
    """The separate keys endpoints.prod.yml needs, from RASA_TRACKER_DB and REDIS_URL.

    RASA_TRACKER_DB: postgresql://user:password@host:port/db (postgres://, postgresql+psycopg://
    and postgresql+psycopg2:// too; the engine uses psycopg2). REDIS_URL: redis://[:pw@]host:port/db.
    """
    tracker = urlsplit(env.get("RASA_TRACKER_DB", ""))
    if tracker.scheme.split("+")[0] not in ("postgresql", "postgres") or not tracker.hostname:
        raise SystemExit("the prod profile needs RASA_TRACKER_DB=postgresql://user:password@host:"
                         "port/database (Rasa's SQL tracker store on PostgreSQL)")
    redis = urlsplit(env.get("REDIS_URL", ""))
    if redis.scheme != "redis" or not redis.hostname:
        raise SystemExit("the prod profile needs REDIS_URL=redis://host:port/db (Rasa's lock store)")
    return {
        "TRACKER_DB_HOST": tracker.hostname,
        "TRACKER_DB_PORT": str(tracker.port or 5432),
        "TRACKER_DB_NAME": tracker.path.lstrip("/") or "rasa",
        "TRACKER_DB_USER": unquote(tracker.username or "postgres"),
        "TRACKER_DB_PASSWORD": unquote(tracker.password or ""),
        "LOCK_STORE_HOST": redis.hostname,
        "LOCK_STORE_PORT": str(redis.port or 6379),
        "LOCK_STORE_DB": redis.path.lstrip("/") or "0",
        "LOCK_STORE_PASSWORD": unquote(redis.password or ""),
    }


def model_fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts or not f.exists():
                continue
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR", ROOT / "models"))


def model_path() -> Path:
    return model_dir() / f"nav-{model_fingerprint()}.tar.gz"


def _rasa() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def _exec(args: list[str], env: dict[str, str] | None = None, patched: bool = False) -> None:
    """exec `rasa ARGS`; patched: through bot.serve (bot/engine_patches.py applied first)."""
    os.chdir(ROOT)
    if patched:
        os.execve(sys.executable, [sys.executable, "-m", "bot.serve", *args], env or _env())
    os.execve(_rasa(), [_rasa(), *args], env or _env())


def train() -> int:
    target = model_path()
    if target.exists():
        print(f"[train] model is up to date: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        return 0
    print(f"[train] data, domain or config changed: training {target.name} (about a minute)…",
          flush=True)
    import subprocess

    start = time.monotonic()
    result = subprocess.run(
        [_rasa(), "train", "--fixed-model-name", target.name.removesuffix(".tar.gz"),
         "--out", str(target.parent), "--config", "config.yml", "--domain", "domain.yml",
         "--data", "data"],
        cwd=ROOT, env=_env())
    if result.returncode != 0 or not target.exists():
        print("[train] training failed", file=sys.stderr)
        return result.returncode or 1
    print(f"[train] trained in {time.monotonic() - start:.0f} s: {target.name}")
    for old in target.parent.glob("nav-*.tar.gz"):  # keep only the current model
        if old != target:
            old.unlink()
    return 0


def run(argv: list[str] | None = None) -> None:
    argv = argv or []
    port = argv[argv.index("--port") + 1] if "--port" in argv else None
    target = model_path()
    if not target.exists():
        sys.exit(f"no trained model at {target}: run `navigator train` first")
    if not os.environ.get("RASA_TOKEN"):
        sys.exit("RASA_TOKEN is not set: the Rasa HTTP API must be protected by a token")
    env = _env()
    if is_prod(env):
        env.update(prod_endpoint_env(env))
    else:
        Path(env["RASA_TRACKER_DB"]).parent.mkdir(parents=True, exist_ok=True)
    # No --auth-token here: bot.serve adds it from RASA_TOKEN inside the engine process, so
    # no command line (`ps`, /proc/PID/cmdline) ever shows it.
    _exec(["run", "--enable-api",
           "--interface", os.environ.get("RASA_HOST", "127.0.0.1"),
           "--port", port or os.environ.get("RASA_PORT", "5005"),
           "--model", str(target), "--endpoints", endpoints_file(env),
           "--credentials", "credentials.yml"], env, patched=True)


def validate() -> None:
    _exec(["data", "validate", "--config", "config.yml", "--domain", "domain.yml",
           "--data", "data", "--fail-on-warnings"])


def test_stories() -> None:
    target = model_path()
    if not target.exists():
        sys.exit(f"no trained model at {target}: run `navigator train` first")
    _exec(["test", "core", "--stories", "tests/rasa", "--model", str(target),
           "--fail-on-prediction-errors", "--out", str(ROOT / "results" / "stories")],
          patched=True)  # the engine as it serves (bot/engine_patches.py)


def nlu_eval(folds: int = 5) -> int:
    """`rasa test nlu` with cross-validation; prints the two numbers the project tracks."""
    import json
    import subprocess

    out = ROOT / "results" / "nlu"
    for stale in [*out.glob("*Extractor_*.json"), *out.glob("intent_*.json")]:
        stale.unlink()  # an extractor no longer in config.yml must not be read back
    print(f"[nlu-eval] {folds}-fold cross-validation of data/nlu (about a minute)…", flush=True)
    # `rasa test nlu` drops SpacyEntityExtractor's entities (it assumes a pretrained model whose
    # labels are not the data's); ours is the gazetteer, labelled `location` like the data, so
    # it is measured: only Duckling stays excluded. The folds' shuffle is seeded, so two runs on
    # the same data split it the same way and a change of config is measured, not the shuffle.
    rasa = ("import sys, numpy, rasa.nlu.test as t; numpy.random.seed(0); "
            "t.PRETRAINED_EXTRACTORS = {'DucklingEntityExtractor'}; "
            "from rasa.__main__ import main; sys.exit(main())")
    result = subprocess.run(
        [sys.executable, "-c", rasa, "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml",
         "--cross-validation", "--folds", str(folds), "--out", str(out), "--successes"],
        cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL)
    if result.returncode != 0:
        return result.returncode
    intents = json.loads((out / "intent_report.json").read_text())
    print(f"intent macro-F1:       {intents['macro avg']['f1-score']:.3f}  (target >= 0.95)")
    f1, precision, recall = location_f1(out)
    print(f"location-entity F1:    {f1:.3f}  (target >= 0.95; all extractors together, exact "
          f"spans: precision {precision:.3f}, recall {recall:.3f})")
    for report in sorted(out.glob("*Extractor_report.json")):
        location = json.loads(report.read_text()).get("location")
        if location:
            print(f"  {report.name.removesuffix('_report.json')} alone (Rasa, per token): "
                  f"location F1 {location['f1-score']:.3f}, support {location['support']}")
    worst = sorted((v["f1-score"], k) for k, v in intents.items()
                   if isinstance(v, dict) and "support" in v and not k.endswith("avg"))[:3]
    print("weakest intents:       " + ", ".join(f"{k} {f:.2f}" for f, k in worst))
    print(f"confusion matrix:      {out / 'intent_confusion_matrix.png'}")
    return 0


def location_f1(out: Path) -> tuple[float, float, float]:
    """(F1, precision, recall) of `location` over what the engine returns: the union of every
    extractor's spans (gazetteer and zip regex), each exactly equal to a labelled span or not.

    Rasa reports each extractor on its own, against all labelled places, so the zip regex
    alone looks poor on town names and the gazetteer alone on zips. Every message with a
    labelled or predicted place is in some extractor's successes or errors file.
    """
    import json

    messages: dict[str, dict] = {}
    for name in sorted(out.glob("*Extractor_successes.json")) + sorted(
            out.glob("*Extractor_errors.json")):
        for item in json.loads(name.read_text()):
            messages.setdefault(item["text"], item)

    def spans(entities: list[dict]) -> set[tuple[int, int]]:
        return {(e["start"], e["end"]) for e in entities if e.get("entity") == "location"}

    hits = gold_n = predicted_n = 0
    for item in messages.values():
        gold, predicted = spans(item["entities"]), spans(item["predicted_entities"])
        hits, gold_n, predicted_n = hits + len(gold & predicted), gold_n + len(gold), \
            predicted_n + len(predicted)
    precision = hits / predicted_n if predicted_n else 0.0
    recall = hits / gold_n if gold_n else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command in ("train", "run", "test-stories", "nlu-eval"):
        from bot.spacy_gazetteer import ensure

        ensure()  # the spaCy pipeline config.yml's SpacyNLP loads, rebuilt if the lookup changed
    if command == "fingerprint":
        print(model_path())
        return 0
    if command == "train":
        return train()
    if command == "run":
        run(argv[1:])
    if command == "validate":
        validate()
    if command == "test-stories":
        test_stories()
    if command == "nlu-eval":
        return nlu_eval()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
