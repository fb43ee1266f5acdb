import pytest

from actions.search import result_index


@pytest.mark.parametrize(("value", "index"), [("1", 0), ("#2", 1), ("second", 1), ("Third", 2),
                                               (["3"], 2), ("zero", None), ("", None),
                                               (None, None), ("0", None)])
def test_result_choices_people_type(value, index):
    assert result_index(value) == index
