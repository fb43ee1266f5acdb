"""Properties of SMS segmenting and rendering, for any text (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from api.services.rasa_client import BotMessage
from api.services.sms_render import GSM7_BASIC, MAX_SEGMENTS, is_gsm7, plain, render_sms, segments

gsm_text = st.text(alphabet=sorted(GSM7_BASIC - {"\r"}), max_size=800)
any_text = st.text(max_size=800)


@given(gsm_text)
def test_gsm7_text_costs_what_carriers_bill(text):
    n = segments(text)
    if not text:
        assert n == 0
    elif len(text) <= 160:
        assert n == 1
    else:
        assert n == -(-len(text) // 153)


@given(any_text)
def test_one_non_gsm_character_switches_to_ucs2(text):
    ucs2 = text + "🙂"
    assert not is_gsm7(ucs2)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in ucs2)
    assert segments(ucs2) == (1 if units <= 70 else -(-units // 67))


@given(any_text, any_text)
def test_segments_never_shrink_when_text_grows(a, b):
    assert segments(a + b) >= segments(a)


@given(st.text(alphabet=sorted(GSM7_BASIC - {"\r"}) + list("’‘“”–—…\u00a0"), max_size=400))
def test_pasted_quotes_and_dashes_are_made_gsm7(text):
    assert is_gsm7(plain(text))


names = st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "Zs"]),
                min_size=1, max_size=60)


@settings(max_examples=200)
@given(st.lists(names, min_size=1, max_size=3), st.text(max_size=1200))
def test_listings_stay_within_three_segments_when_they_can(resource_names, filler):
    resources = [{"id": str(i), "name": n, "phone": "814-555-0100", "distance_mi": 10.0 * i}
                 for i, n in enumerate(resource_names, start=1)]
    quick = [{"title": "More", "payload": "MORE"}, {"title": "Coach", "payload": "COACH"}]
    lines = [f"{i}. {n}\n814-555-0100 - about {10 * i} mi" for i, n in
             enumerate(resource_names, start=1)]
    message = BotMessage(text="\n".join(["Closest job help to Erie:", *lines, filler]),
                         custom={"resources": resources, "quick_replies": quick})
    sms = render_sms([message])
    for n in resource_names:
        assert n in sms  # every listed resource is still named
    if segments(message.text) > MAX_SEGMENTS:
        assert segments(sms) <= MAX_SEGMENTS
