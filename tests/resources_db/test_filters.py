import pytest

from resources_db.filters import filters_from_text


@pytest.mark.parametrize(("text", "expected"), [
    ("sober house for women in erie", {"gender_served": "women"}),
    ("recovery house that takes people on suboxone", {"mat_friendly": "true"}),
    ("im on methadone need a place for men", {"mat_friendly": "true", "gender_served": "men"}),
    ("free childcare help", {"cost": "free"}),
    ("felony friendly jobs in pgh", {"accepts_people_with_records": "true"}),
    ("i have a record, who will hire me", {"accepts_people_with_records": "true"}),
    ("second chance job evenings or weekends",
     {"accepts_people_with_records": "true", "evening_hours": "true", "weekend_hours": "true"}),
    ("need a job in erie", {}),
    ("", {}),
])
def test_filters_people_say_in_words(text, expected):
    assert filters_from_text(text) == expected


def test_words_inside_other_words_do_not_count():
    assert filters_from_text("format my resume") == {}  # "mat" inside "format"
    assert filters_from_text("freedom house") == {}  # "free" inside "freedom"
