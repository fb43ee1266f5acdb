"""Speed fixes for Rasa 3.6 in this engine venv, applied before the server starts (bot.serve).

Each one keeps Rasa's results exactly (tests/api/test_scale_faults.py checks them against
Rasa's own code in the engine venv); they only stop Rasa from redoing work:

- Custom action responses: Rasa validates every action server response with
  `jsonschema.validate(result, schema)`, and jsonschema 4.17 checks the schema itself against
  its meta-schema on every call. Measured: 83 ms a call under the profiler, three quarters of
  the engine's time on a search turn. The schema never changes, so it is checked once and one
  validator is reused; responses are still validated, with the same ValidationError on a bad
  one (message and docs link as Rasa words them).
- Event types: reading a stored event looks its class up by walking every subclass of Event
  (with an `inspect.isabstract` each), once per event of the conversation on every turn: 9% of
  the engine's GIL time at 8 concurrent conversations. The name -> class map is built once
  (and again if a name is not in it, so later subclasses are still found).
- Dialogue states: every policy prediction (several a turn) rebuilds the state of every past
  step of the conversation by replaying all its events, so a turn cost 37 ms at turn 1 and
  ~160 ms at turn 120 of one person. The states of a conversation are a left fold over its
  events, so the fold is kept per conversation and only the new events are replayed; when the
  events are no longer an extension of what was folded (a rewind, a restart, another tracker
  of the same id) it starts again from the first event. Asked again about a tracker that has
  not changed (each policy asks, some several times), the last answer is reused. Callers get
  their own copies.
- HTTP to the action server: Rasa opens a new aiohttp session, and so a new TCP connection,
  for every action call and encodes the request (the whole conversation) with the standard
  json module: 4% and 9% of the engine's GIL time. One session per endpoint and event loop is
  kept instead (keep-alive 10 s, below the action server's 120 s, so it never reuses a socket
  the server is closing), and bodies are encoded with ujson (already in the engine venv: same
  JSON, faster), falling back to json for anything ujson refuses.
"""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

_applied = False


# --- action responses ------------------------------------------------------------------------

def _cached_validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.core.actions.action import DOCS_BASE_URL

    validator = type(self).__dict__.get("_navigator_validator") or _validator_for(type(self))
    try:
        validator.validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions")
        raise e


def _validator_for(cls: type) -> Any:
    from jsonschema.validators import validator_for

    schema = cls.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    cls._navigator_validator = validator
    return validator


# --- event types -----------------------------------------------------------------------------

_event_classes: dict[str, type] = {}


def _event_class_map() -> dict[str, type]:
    """type_name -> the first class Rasa's own lookup would find for it."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    classes: dict[str, type] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _make_resolve_by_type(original: Any) -> Any:
    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        global _event_classes
        cls = _event_classes.get(type_name)
        if cls is None:
            _event_classes = _event_class_map()
            cls = _event_classes.get(type_name)
        return cls if cls is not None else original(type_name, default)

    return staticmethod(resolve_by_type)


# --- dialogue states -------------------------------------------------------------------------

# Recent conversations of one engine; a fold holds one state per past step (a few KB a turn).
MAX_FOLDED_CONVERSATIONS = 256


@dataclass
class _StatesFold:
    """Domain.states_for_tracker_history's loop variables after some events of a tracker."""

    domain: Any
    tracker: Any  # a fresh tracker, updated with the events folded so far (keeps only the last)
    keys: list[tuple[str, Any]] = field(default_factory=list)
    states: list[dict] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False
    # The last answer, and the tracker (weakly), its number of events and last event it was for.
    answer: list[dict] = field(default_factory=list)
    answered: tuple[Any, int, int] | None = None


def _event_key(event: Any) -> tuple[str, Any]:
    # Identifies a stored event across reloads of the tracker (the timestamp is stored with it).
    return (event.type_name, event.timestamp)


def _fold_step(fold: _StatesFold, tr: Any, hide_rule_turn: bool, omit_unset_slots: bool,
               ignore_rule_only_turns: bool, rule_only_data: dict | None,
               states: list[dict]) -> tuple[Any, bool]:
    """One iteration of Rasa 3.6's loop in Domain.states_for_tracker_history (same order of
    operations); appends to `states` and returns the new (last_ml_action_sub_state,
    turn_was_hidden)."""
    from rasa.shared.core.constants import PREVIOUS_ACTION

    domain = fold.domain
    last_ml_action_sub_state, turn_was_hidden = fold.last_ml_action_sub_state, fold.turn_was_hidden
    if ignore_rule_only_turns:
        if not turn_was_hidden:
            last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            turn_was_hidden = hide_rule_turn
        if turn_was_hidden:
            return last_ml_action_sub_state, turn_was_hidden
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = last_ml_action_sub_state
    states.append(domain._clean_state(state))
    return last_ml_action_sub_state, turn_was_hidden


def _copy_states(states: list[dict]) -> list[dict]:
    """Copies down to the sub-states (their values are strings and tuples), keeping the
    sharing of a sub-state between two states that Rasa's own list has."""
    copies: dict[int, dict] = {}
    out = []
    for state in states:
        new = {}
        for kind, sub_state in state.items():
            copied = copies.get(id(sub_state))
            if copied is None:
                copied = copies[id(sub_state)] = dict(sub_state)
            new[kind] = copied
        out.append(new)
    return out


def _fresh_tracker(tracker: Any) -> Any:
    """tracker.init_copy() that remembers only its last event: the state of a tracker lives in
    its attributes; its event list is needed only to rewind, and the folded events never
    rewind (applied_events() has taken reverts out), so the fold does not hold a copy of every
    conversation's events."""
    from rasa.shared.constants import DEFAULT_SENDER_ID
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker(tracker.sender_id or DEFAULT_SENDER_ID, tracker.slots.values(),
                                1, is_rule_tracker=tracker.is_rule_tracker)


class StatesCache:
    def __init__(self, capacity: int = MAX_FOLDED_CONVERSATIONS) -> None:
        self.capacity = capacity
        self.folds: OrderedDict[tuple, _StatesFold] = OrderedDict()
        # folds started from the first event / extended / answers reused
        self.rebuilds = self.extensions = self.repeats = 0

    def states(self, domain: Any, tracker: Any, omit_unset_slots: bool = False,
               ignore_rule_only_turns: bool = False,
               rule_only_data: dict | None = None) -> list[dict]:
        from rasa.shared.core.events import ActionExecuted

        key = (tracker.sender_id, id(domain), tracker.is_rule_tracker, omit_unset_slots,
               ignore_rule_only_turns, json.dumps(rule_only_data, sort_keys=True, default=str))
        fold = self.folds.get(key)
        asked = (len(tracker.events), id(tracker.events[-1]) if tracker.events else 0)
        if (fold is not None and fold.domain is domain and fold.answered is not None
                and tracker._max_event_history is None  # so its events only ever grow
                and fold.answered[0]() is tracker and fold.answered[1:] == asked):
            self.repeats += 1
            return _copy_states(fold.answer)  # before reading the events: they are unchanged
        events = tracker.applied_events()
        keys = [_event_key(e) for e in events]
        if (fold is None or fold.domain is not domain or len(fold.keys) > len(keys)
                or keys[:len(fold.keys)] != fold.keys):
            fold = _StatesFold(domain=domain, tracker=_fresh_tracker(tracker))
            self.rebuilds += 1
        else:
            self.extensions += 1
        self.folds[key] = fold
        self.folds.move_to_end(key)
        while len(self.folds) > self.capacity:
            self.folds.popitem(last=False)

        for event in events[len(fold.keys):]:
            if isinstance(event, ActionExecuted):
                fold.last_ml_action_sub_state, fold.turn_was_hidden = _fold_step(
                    fold, fold.tracker, event.hide_rule_turn, omit_unset_slots,
                    ignore_rule_only_turns, rule_only_data, fold.states)
            fold.tracker.update(event)
        fold.keys = keys
        # The generator's last item: the tracker after all events, never a hidden turn. It is
        # not part of the fold (the next event may be an action that changes it).
        states = list(fold.states)
        _fold_step(fold, fold.tracker, False, omit_unset_slots, ignore_rule_only_turns,
                   rule_only_data, states)
        fold.answer, fold.answered = states, (weakref.ref(tracker), *asked)
        return _copy_states(states)


_states_cache = StatesCache()


def _cached_states_for_tracker_history(self: Any, tracker: Any, omit_unset_slots: bool = False,
                                       ignore_rule_only_turns: bool = False,
                                       rule_only_data: dict | None = None) -> list[dict]:
    return _states_cache.states(self, tracker, omit_unset_slots, ignore_rule_only_turns,
                                rule_only_data)


# --- HTTP to the action server ---------------------------------------------------------------

ACTION_SERVER_KEEPALIVE_S = 10


def _json_dumps(value: Any) -> str:
    import ujson

    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


class _SharedSession:
    """`async with endpoint.session() as session` without closing the shared session."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_exc: object) -> None:
        return None


def _shared_session(self: Any) -> _SharedSession:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    sessions = self.__dict__.setdefault("_navigator_sessions", weakref.WeakKeyDictionary())
    session = sessions.get(loop)
    if session is None or session.closed:
        auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth else None)
        session = sessions[loop] = aiohttp.ClientSession(
            headers=self.headers, auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_SERVER_KEEPALIVE_S),
            json_serialize=_json_dumps)
    return _SharedSession(session)


def apply() -> None:
    global _applied
    if _applied:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    RemoteAction._validate_action_result = _cached_validate_action_result
    EndpointConfig.session = _shared_session
    Event.resolve_by_type = _make_resolve_by_type(Event.resolve_by_type)
    Domain.states_for_tracker_history = _cached_states_for_tracker_history
    _applied = True
