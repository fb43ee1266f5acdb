from actions.formatting import MAX_RESULTS, format_results
from resources_db import geo
from resources_db.search import ResourceHit


def hit(i: int, distance: float | None = 5.0, demo: bool = False, **kw) -> ResourceHit:
    fields = dict(id=f"id-{i}", need="jobs", name=f"Office {i}", town="Town", county="Erie",
                  address=None, phone="814-555-0100", distance_mi=distance, demo=demo,
                  statewide=False, verified="2022-07-30", source_url=None)
    fields.update(kw)
    return ResourceHit(**fields)


ERIE = geo.resolve_place("erie")


def test_reply_lists_at_most_three_results_with_options_and_payload():
    hits = [hit(i, distance=float(i)) for i in range(1, 6)]
    text, custom = format_results("jobs", ERIE, hits, total=5)
    assert "1. Office 1" in text and "3. Office 3" in text and "Office 4" not in text
    assert "MORE" in text and "COACH" in text
    assert [r["id"] for r in custom["resources"]] == ["id-1", "id-2", "id-3"]
    assert len(custom["resources"]) == MAX_RESULTS
    assert custom["handoff"] is False and custom["crisis"] is False
    assert {"1", "2", "3", "MORE", "COACH"} == {q["payload"] for q in custom["quick_replies"]}
    assert set(custom["resources"][0]) >= {"id", "need", "name", "county", "distance_mi", "demo"}


def test_demo_records_are_marked_in_text_and_payload():
    text, custom = format_results("jobs", ERIE, [hit(1, demo=True)], total=1)
    assert "[DEMO]" in text
    assert custom["resources"][0]["demo"] is True


def test_far_results_say_there_is_no_local_office():
    text, _ = format_results("jobs", ERIE, [hit(1, distance=49.2)], total=1)
    assert "no office in Erie County" in text
    assert "49.2 mi" in text


def test_source_date_is_shown_so_people_call_to_confirm():
    text, _ = format_results("jobs", ERIE, [hit(1, verified="c. 2017")], total=1)
    assert "info from c. 2017" in text


def test_no_results_points_to_a_person():
    text, custom = format_results("careerlink", ERIE, [], total=0)
    assert "COACH" in text and "211" in text
    assert custom["resources"] == []
