"""The crisis net: every way of saying it that we know of is caught; ordinary messages are not."""

import pytest

from api.services.crisis import detect_crisis

CRISIS = [
    "my friend is overdosing",
    "i think he OD'd",
    "she took too much and wont wake up",
    "hes not breathing",
    "he isnt breathin",
    "she wont wake up",
    "his lips are blue",
    "i took to much fent",
    "need narcan now",
    "i want to die",
    "i dont want to live anymore",
    "thinking about killing myself",
    "im suicidal",
    "feel like ending it all",
    "i keep cutting myself",
    "i want to hurt myself",
    "relapsed and im alone and scared",
    "I’m gonna end my life",
    "better off dead honestly",
    "overdosed last night at my house, hes still not right",
    "im not ok i want to die",
    "never thought id say this but i want to kill myself",
]
ORDINARY = [
    "i need a job in erie",
    "sober house for women in pgh",
    "i'm not suicidal, just need a job",
    "no i didnt overdose, i need a ride",
    "do you have narcan training jobs",
    "where can i get a narcan kit to carry",
    "looking for overnight shift work",
    "my kids need daycare",
    "bus to my suboxone appointment",
    "im dying to get a job lol",
    "coach",
    "",
]


@pytest.mark.parametrize("text", CRISIS)
def test_crisis_messages_are_caught(text):
    assert detect_crisis(text) is not None


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_are_not_crisis(text):
    assert detect_crisis(text) is None
