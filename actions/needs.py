"""Which intent asks for which need (resources_db.taxonomy codes): one map for the actions
(a change of mind mid-search) and the api (/api/v1/interpret, the coach lookup's sentence box)."""

from __future__ import annotations

INTENT_NEEDS: dict[str, str] = {
    "find_jobs": "jobs", "find_careerlink": "careerlink", "find_housing": "housing",
    "find_childcare": "childcare", "find_transit": "transit",
    "find_benefits": "benefits", "find_record_help": "record",
    "find_recovery_support": "recovery_support", "find_training": "training",
}
