"""Does a message mention a criminal record? ("i have a felony and need a job in york")

Pure and small: the record words the filters already know (resources_db.filters, the same
list that makes a job search "record-friendly"), plus RapidFuzz for the ways people misspell
the few words that carry it ("felany", "fellony", "probabtion", "expungment"). Used to offer
the record help in one line after another need's listings.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from resources_db.filters import filters_from_text

RECORD_FILTER = "accepts_people_with_records"
# Words long enough that one slip of the thumb still reads as them and as nothing else.
_WORDS = ("felony", "felonies", "record", "records", "conviction", "convicted",
          "probation", "parole", "expunge", "expunged", "expungement", "misdemeanor",
          "criminal", "background", "incarcerated", "pardon")
_TOKEN = re.compile(r"[a-z]+")
MIN_CHARS = 6  # shorter words are too close to others ("felon"/"melon")
# fuzz.ratio: "felany"/"felony" and "recrod"/"record" score 83.3 and pass; "recovered" and
# "recording" score 80 against "record" and do not. "prison" is left to the filter words
# (exact only): "person" would score 83.3 against it.
MIN_SCORE = 82


def mentions_record(text: str | None) -> bool:
    text = (text or "").lower()
    if RECORD_FILTER in filters_from_text(text):
        return True
    for token in _TOKEN.findall(text):
        if len(token) >= MIN_CHARS and process.extractOne(
                token, _WORDS, scorer=fuzz.ratio, score_cutoff=MIN_SCORE) is not None:
            return True
    return False
