"""Speed fixes for Rasa 3.6 in this engine venv, applied before the server starts (bot.serve).

- Custom action responses: Rasa validates every action server response with
  `jsonschema.validate(result, schema)`, and jsonschema 4.17 checks the schema itself against
  its meta-schema on every call. Measured: 83 ms a call under the profiler, three quarters of
  the engine's time on a search turn. The schema never changes, so it is checked once and one
  validator is reused; responses are still validated, with the same ValidationError on a bad
  one (message and docs link as Rasa words them).
"""

from __future__ import annotations

from typing import Any

_applied = False


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


def apply() -> None:
    global _applied
    if _applied:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _cached_validate_action_result
    _applied = True
