"""Run by tests/bot/test_engine_patches.py with the engine venv's python (Rasa is only there).

Compares bot.engine_patches' folded dialogue states with Rasa 3.6's own
Domain.states_for_tracker_history on every step of many conversations, and prints one JSON
line with what was compared. Conversations come from the rules and test stories and from a
seeded random walk over the domain (forms, rewinds, restarts, hidden rule turns, follow-ups),
each also reloaded from its stored form at every turn the way a tracker store returns it.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from rasa.shared.core.constants import ACTION_LISTEN_NAME, RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from bot import engine_patches

ROOT = Path(sys.argv[1])
rng = random.Random(7)
domain = Domain.load(str(ROOT / "domain.yml"))
original = Domain.states_for_tracker_history
engine_patches.apply()
patched = Domain.states_for_tracker_history
assert patched is not original

RULE_ONLY = {RULE_ONLY_SLOTS: ["result_number"], RULE_ONLY_LOOPS: []}
OPTIONS = [dict(omit_unset_slots=o, ignore_rule_only_turns=i, rule_only_data=r)
           for o in (False, True) for i, r in ((False, None), (True, RULE_ONLY),
                                               (True, None))]
compared = {"steps": 0, "conversations": 0, "story_steps": 0, "mismatches": 0}


def reloaded(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """What a tracker store gives back: new event objects from the stored dicts."""
    events = tracker.current_state(EventVerbosity.ALL)["events"]
    return DialogueStateTracker.from_dict(tracker.sender_id, events, domain.slots)


def compare(tracker: DialogueStateTracker) -> None:
    for options in OPTIONS:
        expected = original(domain, tracker, **options)
        got = patched(domain, tracker, **options)
        if rng.random() < 0.5:  # asked again about the same tracker, after editing the answer
            got[-1].get("user", {}).pop("intent", None)
            got = patched(domain, tracker, **options)
        if got != expected:
            compared["mismatches"] += 1
            if compared["mismatches"] <= 3:
                print(json.dumps({"options": str(options), "events": [
                    str(e) for e in tracker.events], "expected": str(expected),
                    "got": str(got)}), file=sys.stderr)
        # A caller that edits its states (Rasa's featurizer does) must not change the next.
        for state in got:
            state.get("user", {}).pop("text", None)
            state.pop("prev_action", None)
    compared["steps"] += 1


def play(sender: str, events: list) -> None:
    compared["conversations"] += 1
    tracker = DialogueStateTracker(sender, domain.slots)
    for event in events:
        tracker.update(event)
        compare(tracker)
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            tracker = reloaded(tracker)  # the next turn starts from the store
            compare(tracker)


# 1. The rules and test stories, all under one sender id (one conversation replacing another).
reader = YAMLStoryReader(domain)
for path in (ROOT / "data" / "rules" / "rules.yml", ROOT / "tests" / "rasa" / "test_stories.yml"):
    for step in reader.read_from_file(str(path)):
        play("same-person", [ActionExecuted(ACTION_LISTEN_NAME), *step.explicit_events(domain)])
        compared["story_steps"] += 1

# 2. A seeded random walk over the domain.
form = next(iter(domain.form_names))
actions = [a for a in domain.user_actions if a != form] + ["utter_greet"]
intents = list(domain.intents)
slots = [s.name for s in domain.slots]


def random_event(t: float):
    kind = rng.random()
    if kind < 0.30:
        return [ActionExecuted(ACTION_LISTEN_NAME, timestamp=t),
                UserUttered(f"text {t}", {"name": rng.choice(intents), "confidence": 0.9},
                            entities=[{"entity": "location", "value": "erie", "start": 0,
                                       "end": 4}] if rng.random() < 0.3 else [],
                            timestamp=t + 0.001)]
    if kind < 0.50:
        return [ActionExecuted(rng.choice(actions), timestamp=t,
                               hide_rule_turn=rng.random() < 0.3)]
    if kind < 0.62:
        return [ActionExecuted(form, timestamp=t), ActiveLoop(form, timestamp=t + 0.001)]
    if kind < 0.68:
        return [ActionExecuted(form, timestamp=t), ActiveLoop(None, timestamp=t + 0.001)]
    if kind < 0.80:
        value = rng.choice([None, "erie", "jobs", ["a", "b"], 2.0])
        return [SlotSet(rng.choice(slots), value, timestamp=t)]
    if kind < 0.84:
        return [LoopInterrupted(rng.random() < 0.5, timestamp=t)]
    if kind < 0.88:
        return [FollowupAction(rng.choice(actions), timestamp=t)]
    if kind < 0.92:
        return [UserUtteranceReverted(timestamp=t)]
    if kind < 0.95:
        return [ActionReverted(timestamp=t)]
    if kind < 0.97:
        return [Restarted(timestamp=t)]
    return [SessionStarted(timestamp=t)]


for n in range(int(sys.argv[2])):
    events, t = [ActionExecuted(ACTION_LISTEN_NAME, timestamp=1000.0 * n)], 1000.0 * n
    for _ in range(rng.randint(5, 40)):
        t += 1
        events += random_event(t)
    play(rng.choice(["walker-a", "walker-b", f"walker-{n}"]), events)

cache = engine_patches._states_cache
print(json.dumps({**compared, "cache_rebuilds": cache.rebuilds,
                  "cache_extensions": cache.extensions, "cache_repeats": cache.repeats}))
