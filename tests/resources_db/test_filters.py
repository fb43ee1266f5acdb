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


@pytest.mark.parametrize(("text", "expected"), [
    ("women only?", {"gender_served": "women"}),
    ("men only", {"gender_served": "men"}),
    ("female only please", {"gender_served": "women"}),
    ("do they take ppl on subs", {"mat_friendly": "true"}),
    ("i take methodone", {"mat_friendly": "true"}),
    ("any ok with vivatrol", {"mat_friendly": "true"}),
    ("which of these dont charge", {"cost": "free"}),
    ("im broke", {"cost": "free"}),
    ("any that take parolees", {"accepts_people_with_records": "true"}),
    ("i got a dui", {"accepts_people_with_records": "true"}),
    ("ex cons ok?", {"accepts_people_with_records": "true"}),
    ("any open late", {"evening_hours": "true"}),
    ("open after five", {"evening_hours": "true"}),
    ("open sat or sun?", {"weekend_hours": "true"}),
    ("its for my daughter", {"gender_served": "women"}),
    ("im a guy", {"gender_served": "men"}),
    ("i get the shot monthly", {"mat_friendly": "true"}),
    ("open till 8", {"evening_hours": "true"}),
    ("jobs for returning citizens", {"accepts_people_with_records": "true"}),
])
def test_filters_as_people_text_them(text, expected):
    assert filters_from_text(text) == expected


def test_free_that_is_not_about_cost_does_not_count():
    assert filters_from_text("need a drug free house") == {}
    assert filters_from_text("smoke-free place") == {}
    assert filters_from_text("feel free to text me") == {}
    assert filters_from_text("is there no charge") == {"cost": "free"}  # not a criminal charge
    assert filters_from_text("a good method for interviews") == {}  # not methadone
    assert filters_from_text("sorry im late") == {}  # not "open late"
    assert filters_from_text("count to 10") == {}
    assert filters_from_text("my car broke down") == {}  # not "im broke"
    assert filters_from_text("one that doesnt cost much") == {}  # cheap is not free
    assert filters_from_text("give it a shot") == {}  # not "the shot" (Vivitrol)
