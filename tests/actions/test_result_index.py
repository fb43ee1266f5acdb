import pytest

from actions.search import result_index


@pytest.mark.parametrize(("value", "index"), [("1", 0), ("#2", 1), ("second", 1), ("Third", 2),
                                               (["3"], 2), ("zero", None), ("", None),
                                               (None, None), ("0", None)])
def test_result_choices_people_type(value, index):
    assert result_index(value) == index


def test_the_request_spans_back_to_the_message_that_named_the_need():
    from actions.search import request_texts

    def user(text, intent):
        return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}

    events = [user("hi", "greet"), user("sober house for women", "find_housing"),
              {"event": "bot", "text": "where?"}, user("pittsburgh", "inform_location")]
    assert request_texts(events) == ["pittsburgh", "sober house for women"]
    assert request_texts([user("erie", "inform_location")]) == ["erie"]
    assert request_texts([]) == [""]


def test_misunderstandings_are_counted_only_in_a_row():
    from actions.fallback import misunderstood_in_a_row

    def user(intent):
        return {"event": "user", "parse_data": {"intent": {"name": intent}}}

    assert misunderstood_in_a_row([user("greet"), user("nlu_fallback"), user("nlu_fallback")]) == 2
    assert misunderstood_in_a_row([user("nlu_fallback"), user("greet"), user("nlu_fallback")]) == 1
    assert misunderstood_in_a_row([{"event": "bot"}, user("greet")]) == 0


def test_an_oxford_house_is_not_the_town_of_oxford():
    from actions.location import names_a_house

    assert names_a_house("oxford", "any oxford house openings in pgh")
    assert names_a_house("Oxford", "oxford homes near me")
    assert not names_a_house("oxford", "jobs in oxford")
    assert not names_a_house("erie", "sober house in erie")
