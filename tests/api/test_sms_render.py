from api.services.rasa_client import BotMessage
from api.services.sms_render import MAX_SEGMENTS, is_gsm7, plain, render_sms, segments


def test_segment_counts_follow_gsm7_and_ucs2_rules():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension chars count twice
    assert segments("🙂" + "a" * 68) == 1 and segments("🙂" + "a" * 69) == 2
    assert segments("é" * 160) == 1  # é is in GSM-7
    assert segments("") == 0


def test_curly_quotes_and_dashes_are_made_plain_to_stay_gsm7():
    text = plain("Don’t wait – call “now”…")
    assert is_gsm7(text) and text == 'Don\'t wait - call "now"...'


def long_listing() -> BotMessage:
    resources = [{"id": str(i), "name": f"PA CareerLink Office Number {i}",
                  "phone": "814-555-0100", "distance_mi": 12.5 * i, "town": "Erie"}
                 for i in range(1, 4)]
    text = "Closest job openings and job help to Erie:\n" + "\n".join(
        f"{i}. PA CareerLink Office Number {i}\nErie - 814-555-0100 - about {12 * i} mi\n"
        "free job search help, resumes, training\n(info from 2022-07-29: call to confirm)"
        for i in range(1, 4)) + "\nReply 1-3 for details, MORE for more, COACH for a person."
    quick = [{"title": f"Details on {i}", "payload": str(i)} for i in range(1, 4)]
    quick += [{"title": "More", "payload": "MORE"}, {"title": "Coach", "payload": "COACH"}]
    return BotMessage(text=text, custom={"resources": resources, "quick_replies": quick})


def test_a_long_listing_is_made_compact_for_sms():
    message = long_listing()
    assert segments(message.text) > MAX_SEGMENTS
    sms = render_sms([message])
    assert segments(sms) <= MAX_SEGMENTS
    for i in range(1, 4):
        assert f"{i}. PA CareerLink Office Number {i}" in sms
    assert "Reply 1-3 for details, MORE, COACH" in sms and "call first" in sms


def test_short_replies_are_sent_as_written():
    assert render_sms([BotMessage(text="Hi!"), BotMessage(text="What town?")]) == "Hi!\n\nWhat town?"


def test_a_compact_line_without_a_phone_still_says_how_to_reach_it():
    resources = [
        {"name": "PA CareerLink Erie County", "phone": None, "url": "https://www.pacareerlink.pa.gov",
         "coverage": None, "distance_mi": 0.4, "town": "Erie"},
        {"name": "PA Child Care Works", "phone": None, "statewide": True, "coverage": "statewide",
         "url": "https://www.pa.gov/services/dhs/apply-for-child-care-works-subsidized-child-care.html"},
        {"name": "CamTran", "phone": "814-535-5526", "coverage": "serves Cambria County",
         "distance_mi": 30.0},
    ]
    text = "Closest help to Erie:\n" + "\n".join(["x" * 150] * 5)
    sms = render_sms([BotMessage(text=text, custom={"resources": resources,
                                                    "quick_replies": [{"payload": "1"}]})])
    assert "1. PA CareerLink Erie County, pacareerlink.pa.gov, Erie" in sms
    assert "2. PA Child Care Works, no phone: dial 211, statewide" in sms
    assert "3. CamTran, 814-535-5526, serves Cambria County" in sms
