"""The crisis net: in front of, and independent of, the NLU.

A curated set of the ways people write about an overdose, someone not breathing or not waking
up, suicidal thoughts and self-harm, with negation handled ("i'm not suicidal" is not a
crisis; "i don't want to live" is). When it matches, the gateway answers at once with 911,
988, PA Get Help Now and where to get naloxone, whatever else is going on in the conversation.

How it works. The text is first normalised (`normalise`), so that the patterns see one
spelling of what people write many ways: lowercase, no apostrophes, contractions spelled out
("dont" -> "do not", "hes" -> "he is", "aint" -> "not"), slang spelled out ("wanna" ->
"want to", "gonna" -> "going to", "kms" -> "kill myself"), letters held down collapsed
("sooo" -> "so"), "my self"/"myslef" -> "myself", "od'd"/"o.d." -> "oded"/"od", emoji and
symbols dropped. The patterns then allow the common misspellings ("sucidal", "breathin",
"to many", "kil"). A match that is directly negated ("not", "never", "no", with at most two
filler words between: "i am not really suicidal", "no thoughts of suicide") is not a crisis,
except for phrases that carry their own negation ("do not want to live", "not breathing").

When in doubt the net answers: a false alarm costs a kind extra message; a miss can cost a
life.

Speed: the gateway runs this on every message, including huge hostile ones. Every pattern is
linear (bounded windows, no nested quantifiers). A pattern runs only where one of its anchors
(literal strings every match contains, written beside it) occurs; patterns start with
their rare words, the common words before them are checked afterwards (`after`); the scans
drop the leading "\\b" and check the word boundary themselves. 20,000 characters of ordinary
text take about 10 ms; tests/api/test_crisis.py checks that these shortcuts change no answer.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.services.crisis_model import WindowScores

log = logging.getLogger(__name__)

CRISIS_REPLY = (
    "If someone may be overdosing or isn't breathing: call 911 now. Give naloxone (Narcan) if "
    "you have it, and keep them on their side. If you're thinking about suicide or hurting "
    "yourself: call or text 988, any time. PA Get Help Now: 1-800-662-4357 (24/7). "
    "Free naloxone without a prescription: any PA pharmacy or your county drug and alcohol "
    "office."
)

# --- building blocks (after normalisation) -------------------------------------------------
_SELF = r"(?:myself|himself|herself|themselves|themself)"
_PERSON = (r"(?:he|she|they|him|her|them|friend|brother|bro|sister|sis|mom|mother|mum|dad|father|"
           r"son|daughter|husband|wife|boyfriend|girlfriend|bf|gf|roommate|cousin|uncle|aunt|"
           r"baby|kid|child|homie|buddy|partner|fiance|fiancee|grandma|grandpa|nephew|niece|"
           r"guy|dude|girl|man|neighbor|neighbour|someone|somebody)")
_DRUG = (r"(?:pills?|pils|meds|medication|medicine|xanax|xans|xannies|zanax|xanex|bars|percs?|"
         r"percocets?|perks|oxys?|oxycodone|oxycontin|roxys?|fent|fentanyl|fentanil|fetty|"
         r"dope|heroin|herion|boy|tranq|xylazine|benzos?|klonopins?|valium|methadone|subs|"
         r"suboxone|morphine|dilaudid|norcos?|vicodin|tramadol|gabapentin|opioids?|opiates?|"
         r"meth|crack|coke|cocaine|molly|ketamine|sleeping pills|sleep meds|tylenol|stuff)")
_BOOZE = r"(?:alcohol|booze|liquor|vodka|whiskey|beer|wine|drinks?|drinking|drank|henny|lean)"
_TOO = r"(?:too|to|2|tu)"
_BREATH = r"br[ea]{1,2}th?(?:e|ing|in|n|ng|eing)?"
_WAKE = r"(?:wake|wak|wakin|waking|wakeing|wakng|woke|woken|awake|come to|coming to)"
_NEG_AUX = r"(?:will|can|could|would|does|did|is|are|was|has|have|do) not"
# "not X" only where X is a crisis and not an everyday sense.
_COLOUR = r"(?:blue|purple|gr[ae]y|ashy)"


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    negatable: bool  # a "not"/"never"/"no" right before it cancels it
    unless_before: re.Pattern[str] | None  # cancels it when it ends the 40 characters before
    # The words that must come right before the match ("took " before "too much"): the regex
    # starts with its rarest words, which the regex engine finds far faster than a list of
    # common ones ("took|had|did|used...") tried at every position of the text.
    after: re.Pattern[str] | None
    # Every match contains one of these strings: when the text has none, the regex is not run
    # (a substring search is far cheaper than a regex scan over a huge message).
    anchors: tuple[str, ...] | None
    # A word or phrase that is as often about the past or someone else's work ("i overdosed in
    # 2019, now 3 years clean", "suicide prevention volunteer"): it counts when the learned
    # layer agrees at least a little (CONFIRM_THRESHOLD), not on its own.
    confirm: bool = False


def _p(kind: str, pattern: str, *, negatable: bool = True, unless_before: str | None = None,
       after: str | None = None, anchors: tuple[str, ...] | None = None,
       confirm: bool = False) -> _Pattern:
    """anchors: literal strings, one of which every match contains (None: always scan).
    Written out by hand, not derived from the regex (that needs the interpreter's private
    regex parser); tests/api/test_crisis.py checks they change no answer."""
    return _Pattern(kind, re.compile(pattern), negatable,
                    re.compile(f"(?:{unless_before})$") if unless_before else None,
                    re.compile(f"(?:{after})$") if after else None,
                    anchors, confirm)


_PATTERNS: list[_Pattern] = [
    # -- overdose ---------------------------------------------------------------------------
    _p("overdose", r"\bov[ae]?r ?do[sz]{1,2}(?:e|es|ed|ing|eing|in|ign)?\b"
                   r"(?! (?:prevention|awareness|education|response|reversal|training|class|"
                   r"kits?|deaths? (?:rate|data|stats)))",
       unless_before=r"\bused to |(?:people|those|folks|anyone|persons|others) (?:who|that) (?:might |may "
                     r"|could )?|(?:prevent|prevents|preventing|reverse|reverses|reversing)"
                     r" (?:an |a )?",
       anchors=('ov',), confirm=True),
    _p("overdose", r"\bod(?:s|ed|ing|in|eing)?\b",
       anchors=('od',), confirm=True),
    # "odd" is "od'd" without the apostrophe only after a person: "she odd", not "odd jobs"
    _p("overdose", r"\bodd\b", after=r"\b(?:" + _PERSON + r"|i|just|almost|nearly) ",
       anchors=('odd',), confirm=True),
    _p("overdose", r"\boverdid it\b(?! (?:at|with (?:the|my) (?:gym|work|workout|running)))",
       anchors=('overdid it',)),
    _p("overdose", _TOO + r" (?:much|many)\b"
                   r"(?! (?:time|days?|hours?|weeks?|months?|classes|class|shifts?|breaks?|"
                   r"naps?|out|off|from|money|cash|taxes|tax|data|gas|credits?|on|coffee|"
                   r"caffeine|food|sugar|work|paperwork|homework|overtime|vacation|pto|"
                   r"sick days|risks?|responsibility|to eat|interviews?|applications?|"
                   r"appointments?|jobs?|things|people|questions|bills|calls|meetings|"
                   r"stuff on|of (?:my|the|their|his|her) "
                   r"(?:check|pay|paycheck|time|money|savings)))",
       after=r"\b(?:took|take|taken|taking|had|did|done|doing|used|using|shot|snorted|smoked|"
             r"swallowed|drank|popped|ate|mixed|got) (?:way |a little |a bit |so |like )?",
       anchors=('any', 'uch'), confirm=True),
    _p("overdose", _TOO + r" (?:much|many) " + _DRUG + r"\b",
       anchors=('any', 'uch')),
    _p("overdose", r"\b(?:did|took|used|shot|snorted|smoked|had|done) (?:a lot of|so much|a ton "
                   r"of|way more|tons of|a bunch of) " + _DRUG + r"\b",
       anchors=('a bunch of', 'a lot of', 'a ton of', 'so much', 'tons of', 'way more')),
    _p("overdose", r"\b(?:whole bottle|bottle of|bunch of|handful of|fistful of|fist full of|"
                   r"hand full of|all (?:of )?(?:my|his|her|their|the)|\d{2,}|lots of|a lot of|"
                   r"double|triple)\b[\w ]{0,16}" + _DRUG + r"\b",
       after=r"\b(?:took|swallowed|popped|ate|downed|taken|taking|swallowing|take|swallow)\b"
             r"[\w ]{0,20}",
       anchors=('bars', 'benzo', 'boy', 'cocaine', 'coke', 'crack', 'dilaudid', 'dope', 'fent', 'fentanil', 'fentanyl', 'fetty', 'gabapentin', 'herion', 'heroin', 'ketamine', 'klonopin', 'medication', 'medicine', 'meds', 'meth', 'methadone', 'molly', 'morphine', 'norco', 'opiate', 'opioid', 'oxy', 'oxycodone', 'oxycontin', 'perc', 'percocet', 'perks', 'pill', 'pils', 'roxy', 'sleep meds', 'sleeping pills', 'stuff', 'suboxone', 'subs', 'tramadol', 'tranq', 'tylenol', 'valium', 'vicodin', 'xanax', 'xanex', 'xannies', 'xans', 'xylazine', 'zanax'), confirm=True),
    _p("overdose", r"\b(?:whole|entire|full) (?:bottle|pack|box|strip|sheet|script|"
                   r"prescription)\b",
       after=r"\b(?:took|swallowed|popped|ate|downed|drank|taken) (?:the|a|my|his|her) ",
       anchors=('entire', 'full', 'whole')),
    _p("overdose", r"\b(?:took|swallowed|popped|ate|downed|taken) all (?:of )?(?:the|my|his|her)"
                   r" (?:pills|meds|bars|xanax|percs)\b",
       anchors=('bars', 'meds', 'percs', 'pills', 'xanax')),
    _p("overdose", r"\b(?:dropped|fell out|went down|collapsed|fell over|nodded out|passed out|"
                   r"went limp) (?:right )?(?:after|when|once) (?:he|she|they|i|we|my \w+) "
                   r"(?:used|shot up|did|took|hit|snorted|smoked)\b",
       anchors=('collapsed', 'dropped', 'fell out', 'fell over', 'nodded out', 'passed out', 'went down', 'went limp')),
    _p("overdose", r"\bmix(?:ed|ing)?\b[\w ]{0,20}\b" + _DRUG + r"\b[\w ]{0,12}\b(?:and|with|w) "
                   r"[\w ]{0,12}\b" + _BOOZE + r"\b",
       anchors=('alcohol', 'beer', 'booze', 'drank', 'drink', 'drinking', 'henny', 'lean', 'liquor', 'vodka', 'whiskey', 'wine')),
    _p("overdose", r"\b" + _BOOZE + r"\b[\w ]{0,30}\b(?:can not|will not|not|is not|out|"
                   r"passed)\b", after=r"\b" + _DRUG + r" (?:with|and|w) [\w ]{0,12}",
       anchors=('alcohol', 'beer', 'booze', 'drank', 'drink', 'drinking', 'henny', 'lean', 'liquor', 'vodka', 'whiskey', 'wine')),
    _p("overdose", r"\b(?:was|is|its|been|got|were|be|it) laced\b|\blaced with\b",
       anchors=(' laced', 'laced with')),
    _p("overdose", r"\b(?:gave|giving|used|sprayed|hit (?:him|her|them) with|administered)"
                   r"\b[\w ]{0,20}\b(?:narcan|naloxone|narcans)\b"
                   r"|\bnarcaned\b",
       anchors=('loxone', 'narcaned', 'rcan', 'rcans'), confirm=True),
    _p("overdose", r"\bne+d (?:a |some )?(?:narcan|naloxone)\b"
                   r"(?! (?:training|class|classes|course|kits?|certification|to carry|for "
                   r"(?:work|my job|the job|class)))",
       anchors=('loxone', 'rcan')),
    _p("overdose", r"\b(?:narcan|naloxone)\b[\w ]{0,25}\b(?:now|asap|hurry|quick|fast|"
                   r"emergency|please|plz|pls)\b",
       anchors=('loxone', 'rcan'), confirm=True),
    _p("overdose", r"\b(?:shot up|used|relapsed|using|snorted|smoked)\b(?! to)[^.!?]{0,30}"
                   r"\b(?:heart|chest)\b[\w ]{0,20}\b(?:racing|pounding|hurts?|hurting|pain|"
                   r"tight|exploding)\b"
                   r"|\b(?:heart|chest)\b[\w ]{0,20}\b(?:racing|pounding|hurts?|hurting|"
                   r"exploding)\b[^.!?]{0,30}\b(?:after|since|from) (?:i |he |she )?(?:used|"
                   r"using|took|shot up|snorted|smoked|" + _DRUG + r")\b",
       anchors=('chest', 'heart')),
    _p("overdose", r"\b(?:can not feel|too strong|hit (?:me|him|her) (?:wrong|too hard))",
       after=r"\b(?:" + _DRUG + r"|dose|bag|shot|hit)\b[^.!?]{0,30}",
       anchors=('can not feel', 'too hard', 'too strong', 'wrong')),
    # -- not breathing, blue, not waking, unresponsive ----------------------------------------
    _p("not_breathing", r"\b(?:not|stopped|stoped|stop|stops|barely|barley|hardly|no longer|"
                        r"quit|can not|could not|trouble|struggling) " + _BREATH + r"\b"
                        r"(?! (?:down|room|easy|easier|a word))", negatable=False,
       anchors=(' br',)),
    _p("not_breathing", r"\b" + _BREATH + r" (?:is |are |real |really |so |very |super |kinda |"
                        r"weird |funny )?(?:slow|shallow|weird|funny|strange|gurgling|"
                        r"raspy)\b",
       anchors=('funny', 'gurgling', 'raspy', 'shallow', 'slow', 'strange', 'weird')),
    _p("not_breathing", r"\b" + _COLOUR + r"\b(?! (?:collar|line|cross|shirt|jeans|uniform|"
                        r"bus))",
       after=r"\b(?:" + _PERSON + r"|lips?|face|skin|fingers|fingernails|nails)(?: is| are| "
             r"look| looks| looking| getting| going| gone| turning| turnin| turned| turnt| "
             r"went)?(?: all| so| really| real| kinda)? ",
       anchors=('ashy', 'blue', 'gr', 'purple')),
    _p("not_breathing", r"\b(?:turning|turnin|turned|turnt|going|goin|went|gone) "
                        + _COLOUR + r"\b(?! (?:collar|line|cross|shirt|jeans|uniform|bus))",
       unless_before=r"(?:hair|beard|sky|screen|light|lights|it|car|paint|phone)(?: is| are)? ",
       anchors=('ashy', 'blue', 'gr', 'purple')),
    _p("not_breathing", r"\bcold and (?:blue|purple|gr[ae]y|stiff|not moving)\b",
       anchors=('cold and ',)),
    _p("not_breathing", r"\b(?:" + _NEG_AUX + r"|not|never|no one can|nobody can) " + _WAKE
                        + r"\b(?! (?:up )?(?:me|early|on time|in time|at|before|from|for "
                        r"(?:work|my shift|class))\b)(?: up)?",
       negatable=False, unless_before=r"\bi (?:really |just |usually |always |sometimes )?(?:can "
       r"|could |will |would |do |does |did |am )?|"
       r"(?:laptop|computer|phone|screen|pc|tablet|monitor|ipad|alarm|clock)(?: will| can| does"
       r"| is)? ",
       anchors=('awake', 'come to', 'coming to', 'wak', 'wake', 'wakeing', 'wakin', 'waking', 'wakng', 'woke', 'woken')),
    _p("not_breathing", r"\b(?:" + _NEG_AUX + r"|not|never|no one can|nobody can|trying to|"
                        r"tried to|try to) get (?:him|her|them|my \w+|\w+) to (?:wake|"
                        r"respond|breathe|come to|open (?:his|her|their) eyes)\b",
       negatable=False,
       anchors=('breathe', 'come to', 'open ', 'respond', 'wake')),
    _p("not_breathing", r"\b" + _NEG_AUX + r" " + _WAKE + r" (?:him|her|them|my \w+|(?!me\b)"
                        r"\w+) (?:up\b|$)", negatable=False,
       unless_before=r"(?:alarm|clock|phone)(?: will| did| does)? ",
       anchors=('awake', 'come to', 'coming to', 'wak', 'wake', 'wakeing', 'wakin', 'waking', 'wakng', 'woke', 'woken')),
    _p("not_breathing", r"\b(?:can not|could not|will not|not|no one can) be "
                        r"(?:woken|woke|awoken|roused)\b", negatable=False,
       anchors=('awoken', 'roused', 'woke', 'woken')),
    _p("not_breathing", r"\b(?:not|never|no longer) (?:responding|responsive|reacting|moving|"
                        r"answering)\b(?! (?:to (?:my |the )?(?:email|emails|texts|calls|"
                        r"messages|application|ad))|\w)", negatable=False,
       unless_before=r"(?:site|website|app|page|employer|landlord|boss|worker|caseworker|"
                     r"office|company|recruiter|agency|they|it|phone|screen|computer|"
                     r"laptop|line|bus|traffic|we|i)(?: is| are| was| were| am| has"
                     r" been| have been)? ",
       anchors=('answering', 'moving', 'reacting', 'responding', 'responsive')),
    _p("not_breathing", r"\b(?:will not|would not|does not|is not|not) (?:respond|answer|move|"
                        r"budge|react)\b(?! (?:to (?:my |the )?(?:email|emails|texts|calls|"
                        r"messages|application|ad)))", negatable=False,
       unless_before=r"(?:site|website|app|page|employer|landlord|boss|worker|caseworker|"
                     r"office|company|recruiter|agency|they|it|phone|screen|computer|"
                     r"laptop|car|bus|line)(?: is| are)? ",
       anchors=('answer', 'budge', 'move', 'react', 'respond'), confirm=True),
    _p("not_breathing", r"\bunresponsive\b(?! (?:email|emails|website|site|app|page|landlord|"
                        r"employer|system|office|staff|agency))",
       unless_before=r"(?:site|website|app|page|employer|landlord|boss|worker|caseworker|"
                     r"office|company|recruiter|agency|phone|screen|computer|laptop|"
                     r"system|portal|server|they|it)(?: is| are| was| has been| seems)? "
                     r"(?:so |really |totally |completely )?",
       anchors=('unresponsive',)),
    _p("not_breathing", r"\bunconscious\b(?! (?:bias|mind))",
       anchors=('unconscious',)),
    _p("not_breathing", r"\b(?:collapsed|passed out (?:and|cold|on|in)|out cold|seizing|"
                        r"convulsing)\b",
       after=r"\b(?:" + _PERSON + r"|found \w+) (?:is |just |has )?",
       anchors=('collapsed', 'convulsing', 'out cold', 'passed out ', 'seizing')),
    _p("not_breathing", r"\bpassed out (?:and|cold|on the floor|in the)\b|\bout cold\b"
                        r"|\b(?:seizing|convulsing|having a seizure|od seizure)\b",
       anchors=('convulsing', 'having a seizure', 'od seizure', 'out cold', 'passed out ', 'seizing')),
    _p("not_breathing", r"\bfound (?:him|her|them|my \w+|\w+)\b[^.!?]{0,30}\b(?:not moving|"
                        r"unconscious|unresponsive|not breathing|passed out|blue|cold)\b",
       anchors=('found ',)),
    _p("not_breathing", r"\b(?:no|can not find a|could not find a|can not feel a|no "
                        r"signs? of a) (?:pulse|heartbeat|heart beat)\b", negatable=False,
       anchors=('heart beat', 'heartbeat', 'pulse')),
    _p("not_breathing", r"\bfoam(?:ing)? (?:at|from) (?:the|his|her) mouth\b"
                        r"|\beyes (?:are |r )?roll(?:ing|ed) back\b|\bgurgling\b",
       anchors=(' mouth', 'eyes ', 'gurgling')),
    _p("not_breathing", r"\b(?:dead|dying)\b(?! (?:tired|serious|wrong|set|broke|ass|last|on|"
                        r"to|for|of|laughing|laughin|inside|slow|end|weight)\b)",
       after=r"\b" + _PERSON + r"(?: is| are| looks| might be| may be| could be| seems)? ",
       anchors=('ead', 'ying'), confirm=True),
    _p("not_breathing", r"\bi (?:think|feel like|am scared|am afraid|might be|could be)"
                        r"(?: that)? (?:i am |he is |she is |they are |we are )?(?:dying|"
                        r"going to die|fading|about to die)\b(?! (?:to|for|of|laughing)\b)",
       anchors=('about to die', 'dying', 'fading', 'going to die'), confirm=True),
    _p("not_breathing", r"\bi am dying\b(?! (?:to|for|of|laughing|my|over)\b)",
       after=r"^|[.!?,] |\bhelp ",
       anchors=('i am dying',), confirm=True),
    # -- suicidal -----------------------------------------------------------------------------
    _p("suicidal", r"\bsu[aei]{0,2}(?:c|s|sc|cc|ss)[iy]d{1,2}(?:e|es|al|ial|le|el|ual|all|ul|il|"
                   r"ally|ality)?\b(?! (?:prevention|awareness|squad|bombers?|doors?))",
       anchors=('su',), confirm=True),
    _p("suicidal", r"\bsewer ?slide\b",
       anchors=('sewer',)),
    _p("suicidal", r"\b" + _SELF + r"\b(?! in the foot)",
       after=r"\b(?:kil+(?:ed|ing|in|s)?|unalive|unaliving|off|end|ending|hang|hanging|hangin|"
             r"hung|shoot|shooting|shot|drown|drowning|poison|poisoning|suffocate|gas|starve|"
             r"starving|overdose) ",
       anchors=('herself', 'himself', 'myself', 'themself', 'themselves')),
    _p("suicidal", r"\bend(?:ing|in)? (?:it|it all|things|everything|my life|this life|my own "
                   r"life|(?:his|her|their) life)\b(?! (?:with|between|early|for (?:the|a|"
                   r"my) (?:day|night|week)))",
       anchors=('end',)),
    _p("suicidal", r"\b(?:take|taking|took|takin) (?:my|his|her|their) (?:own )?life\b"
                   r"(?! back)",
       anchors=('life',)),
    _p("suicidal", r"\b(?:want|wants|wanted|wanting|going|ready|trying|like|need|needs|plan|"
                   r"planning|just want|about) (?:to |too |2 )?(?:die|be dead|not be alive|"
                   r"not exist|stop existing|stop living|not wake up|not be here|(?:be gone|"
                   r"disappear|go away|sleep) (?:forever|for good))\b"
                   r"(?! (?:of (?:boredom|embarrassment|laughter|laughing|shame|cringe))\b)",
       anchors=('be dead', 'be gone', 'die', 'disappear', 'go away', 'not be alive', 'not be here', 'not exist', 'not wake up', 'sleep', 'stop existing', 'stop living')),
    _p("suicidal", r"\b(?:wish|wished|hope|hoping) (?:i|he|she) (?:was|were|could|would|"
                   r"will|had|just|could just|would just)?(?: just)? ?(?:be |have )?"
                   r"(?:dead|die|died|never been born|not wake up|disappear|go to sleep "
                   r"forever)\b",
       anchors=('hope', 'hoping', 'wish', 'wished')),
    _p("suicidal", r"\b(?:wish|wished) (?:i|he|she) (?:had )?never (?:woke up|woken up|been "
                   r"born|existed|wake up)\b|\b(?:should|might as well|may as well|would "
                   r"rather|rather) (?:just )?(?:be )?(?:die|dead|end it|not exist)\b",
       anchors=('been born', 'existed', 'may as well', 'might as well', 'rather', 'should', 'wake up', 'woke up', 'woken up', 'would rather')),
    _p("suicidal", r"\b(?:hope|hoping|wish|wishing|pray|praying) (?:i|he|she) (?:(?:do|does|"
                   r"will|would|can) not|never) wake up\b|\bnever (?:want to )?wake up again\b", negatable=False,
       anchors=(' wake up', 'wake up again')),
    _p("suicidal", r"\bdo(?:es)? not (?:want|wants|wanna) (?:to )?(?:live|be alive|exist|"
                   r"wake up|be here (?:anymore|no more|any more|any longer|on (?:this )?"
                   r"earth)|be on (?:this )?earth|keep living|go on|be around (?:anymore|"
                   r"no more|any more|any longer)|do this life)\b"
                   r"(?! (?:in|with|at|near|by|there|here|alone|on|around|somewhere|close|"
                   r"so far|far|downtown|out)\b)", negatable=False,
       anchors=(' not wan',)),
    # "i don't want to die" is fear, often in the middle of an overdose: it is answered.
    _p("suicidal", r"\bdo(?:es)? not (?:want|wanna) (?:to )?die\b", negatable=False,
       anchors=(' not wan',)),
    _p("suicidal", r"\b(?:not|never) (?:want|wanting) to (?:live|be alive|be here anymore|"
                   r"exist|wake up)\b(?! (?:in|with|at|near|by|there|here|alone|on)\b)",
       negatable=False,
       anchors=('be alive', 'be here anymore', 'exist', 'live', 'wake up')),
    _p("suicidal", r"\b(?:not|never|no)\b[\w ]{0,15}\b(?:any|a|one|single) (?:reason|"
                   r"point) (?:to|in|of) (?:live|living|go on|going on|keep going|be alive|"
                   r"life|keep living)\b", negatable=False,
       anchors=('point', 'reason')),
    _p("suicidal", r"\b(?:not sure|do not know if|do not think|am not sure) (?:i|if i) (?:want "
                   r"to|can) (?:live|be alive|keep going|go on|keep living|do this anymore)\b",
       negatable=False,
       anchors=('am not sure', 'do not know if', 'do not think', 'not sure')),
    _p("suicidal", r"\bbetter off (?:dead|without me|if i (?:was|were) (?:dead|gone)|gone)\b"
                   r"|\bbetter (?:off )?without me\b",
       anchors=('better ',)),
    _p("suicidal", r"\b(?:no|not any|nothing|not a|no more) (?:reason|reasons|point|purpose) "
                   r"(?:in |to |of )?(?:live|living|going on|life|being alive|keep going|"
                   r"be alive)\b|\bnothing (?:left )?to live for\b"
                   r"|\bwhat is the point of (?:living|life|going on|being alive|it all)\b"
                   r"|\blife (?:is not|not|is no longer) worth (?:living|it)\b"
                   r"|\bnot worth living\b", negatable=False,
       anchors=(' worth ', 'not worth living', 'point', 'purpose', 'reason', 'reasons', 'to live for', 'what is the point of ')),
    _p("suicidal", r"\bcan not go on\b(?= *$| *[.!?,]| anymore| any more| like this| living| "
                   r"with (?:life|this))", negatable=False,
       anchors=('can not go on',)),
    _p("suicidal", r"\b(?:tired|sick) of (?:living|being alive|life|existing|being here)\b"
                   r"|\bdone with (?:life|living|being alive)\b",
       anchors=('done with ', 'sick', 'tired')),
    _p("suicidal", r"\b(?:nobody|no one|no1|noone) (?:cares|would care|will care|gives a \w+|"
                   r"would notice|will notice|would miss me|will miss me|would even care|"
                   r"would even notice) (?:if|when) i (?:die|died|was gone|were gone|am gone|"
                   r"disappear|disappeared|kill myself|killed myself|was dead|am dead|end it)\b",
       anchors=('cares', 'gives a ', 'will care', 'will miss me', 'will notice', 'would care', 'would even care', 'would even notice', 'would miss me', 'would notice')),
    _p("suicidal", r"\b(?:want|need|wish|just want) (?:it|this|everything|it all|all this|all of "
                   r"this|my life|the pain|life) to (?:be over|end|stop)\b"
                   r"|\b(?:a|my) plan (?:and|with) (?:the |some |my )?(?:pills|rope|gun|knife|"
                   r"razor|blade|meds)\b",
       anchors=(' plan ', 'be over', 'end', 'stop')),
    _p("suicidal", r"\b(?:nobody|no one|no1|noone) (?:would|will|wld)(?: even)? (?:care|"
                   r"notice|miss me)\b[\w ]{0,10}\bif i (?:died|was gone|were gone|was dead|"
                   r"killed|disappeared|did not wake up|was not here)\b",
       anchors=('if i ',)),
    _p("suicidal", r"\b(?:goodbye|suicide) (?:letter|note)\b|\bthis is (?:my )?goodbye\b"
                   r"|\b(?:got|have|tied|bought) the rope\b|\brope around my neck\b",
       anchors=(' the rope', 'goodbye', 'rope around my neck', 'suicide', 'this is ')),
    _p("suicidal", r"\b(?:jump|jumping|step|stepping) (?:off|from) (?:a|the|this) (?:bridge|"
                   r"roof|building|overpass|cliff|ledge)\b|\b(?:jump|jumping|step|stepping|"
                   r"walk|walking) in front of (?:a|the) (?:train|bus|car|truck)\b",
       anchors=(' in front of ', 'jump', 'jumping', 'step', 'stepping')),
    _p("suicidal", r"\b(?:gun|pistol) (?:to|in) my (?:head|mouth)\b|\bbullet (?:in|through) "
                   r"my (?:head|brain)\b|\buse it on " + _SELF + r"\b",
       anchors=('bullet ', 'head', 'mouth', 'use it on ')),
    _p("suicidal", r"\bthoughts? (?:of|about) (?:ending (?:it|my life)|suicide|killing "
                   r"myself|dying|death|not being here)\b",
       anchors=('thought',)),
    _p("suicidal", r"\b(?:swallow|swallowing|take|taking) all (?:of )?my (?:pills|meds)\b",
       anchors=('meds', 'pills')),
    _p("suicidal", r"\b(?:i want it all to|i just want it (?:all )?to|make it all) (?:end|stop)\b"
                   r"|\bi want (?:it|everything) to (?:end|stop)\b[^.!?]{0,20}\b(?:die|dead|"
                   r"forever|for good)\b",
       anchors=('i just want it ', 'i want ', 'i want it all to', 'make it all')),
    _p("suicidal", r"\b(?:feel|feeling|felt) like (?:dying|i want to die|ending it|killing "
                   r"myself|giving up on life)\b",
       anchors=('dying', 'ending it', 'giving up on life', 'i want to die', 'killing myself')),
    _p("suicidal", r"\bif i (?:was|were) gone\b[\w ]{0,12}\b(?:nobody|no one|who) would "
                   r"(?:care|notice)\b|\b(?:nobody|no one) would (?:even )?(?:care|notice|"
                   r"miss me) if i (?:was|were) gone\b",
       anchors=(' would ',)),
    # -- self-harm ----------------------------------------------------------------------------
    _p("self_harm", r"\b" + _SELF + r"\b(?! (?:at work|on the job|lifting|shaving|cooking|on the stove|playing|"
                    r"working out|at the gym|by accident|accidentally))",
       after=r"\b(?:cut|cutting|cuttin|cuting|cuts|hurt|hurting|hurtin|hurts|harm|harming|burn|"
             r"burning|burnin|burned|burnt|stab|stabbing|hit|hitting|punch|punching|scratch|"
             r"scratching|scratched|bite|biting|bit|beat|beating|slit|slitting) ",
       anchors=('herself', 'himself', 'myself', 'themself', 'themselves')),
    _p("self_harm", r"\bself ?(?:harm|harmed|harming|harmer|injury|injuring|mutilation|"
                    r"mutilate|mutilating)\b",
       anchors=('self',), confirm=True),
    _p("self_harm", r"\b(?:cut|cutting|cuttin|slit|slitting|slice|slicing|slashed|slash) "
                    r"(?:my|his|her) (?:wrists?|arms?|legs?|thighs?|skin|stomach)\b",
       anchors=('arm', 'leg', 'skin', 'stomach', 'thigh', 'wrist')),
    _p("self_harm", r"\bcut+(?:ing|in) (?:again|agian|agin)\b|\bcut (?:again|agian)\b",
       unless_before=r"(?:hours|pay|shift|shifts|benefits|snap|stamps|check|got|get|gets|"
                     r"were|was|be|been|are|is|hair|grass|lawn|it|they|them)(?: got| were| "
                     r"was| are)? ",
       anchors=(' ag', 't ag')),
    _p("self_harm", r"\b(?:urge|urges|want|wants|wanting|need|needing|tempted|temptation|"
                    r"thinking about|thinking of|started|start|starting|stop|quit|relapsed "
                    r"on|relapse on|keep|kept|been|still|going to|about to|crave|craving) "
                    r"(?:to )?cut+(?:ing|in)?\b(?! (?:hair|my hair|his hair|her hair|back|"
                    r"down|out|off|ties|class|school|the|it|corners|costs|lawns?|grass|wood|"
                    r"meat|trees?|my (?:hours|pay|losses|nails|food)|hours|them|people|"
                    r"coupons|keys|glass|metal|steel|stone|tile|fabric|paper|hair)\b)",
       anchors=('cu',)),
    _p("self_harm", r"\b(?:want|wants|going|need|urge|urges) to (?:hurt|harm|punish) (?:me|"
                    r"myself)\b(?! (?:at work|lifting))",
       anchors=('harm', 'hurt', 'punish')),
    # -- relapse and danger ---------------------------------------------------------------------
    _p("relapse_danger", r"\b(?:relapsed|using again|used again|picked up again|picked up|"
                         r"slipped|shot up|started using)\b[^.!?]{0,60}\b(?:alone|scared|"
                         r"dying|too much|to much|laced|not right|wrong|feel like i am dying|"
                         r"can not breathe|want to die)\b",
       anchors=('picked up', 'picked up again', 'relapsed', 'shot up', 'slipped', 'started using', 'used again', 'using again')),
    _p("relapse_danger", r"\b(?:used|using|relapsed)\b(?! to)[^.!?]{0,25}\b(?:feel|feeling|"
                         r"felt)\b[\w ]{0,12}\b(?:wrong|weird|off|strange|like i am dying|"
                         r"like dying)\b",
       anchors=('relapsed', 'used', 'using')),
]


def _without_leading_boundaries(source: str) -> str:
    """The pattern without the "\\b" that starts it or any of its top-level alternatives. A
    pattern that starts with a word lets the regex engine skip quickly to where it can match;
    one that starts with "\\b" is tried at every position, several times slower. The scan
    checks the word boundary itself (in the normalised text a word starts the text or follows
    a space)."""
    out, depth, i, at_start = [], 0, 0, True
    while i < len(source):
        if at_start and depth == 0 and source.startswith(r"\b", i):
            i += 2
        at_start = False
        ch = source[i]
        if ch == "\\":
            out.append(source[i : i + 2])
            i += 2
            continue
        if ch == "[":  # a character class: up to its closing bracket, escapes included
            j = i + 1 + (source[i + 1 : i + 2] == "^")
            j += source[j : j + 1] == "]"
            while source[j] != "]":
                j += 2 if source[j] == "\\" else 1
            out.append(source[i : j + 1])
            i = j + 1
            continue
        depth += (ch == "(") - (ch == ")")
        at_start = ch == "|" and depth == 0
        out.append(ch)
        i += 1
    return "".join(out)


# The patterns as the net scans with them (see _without_leading_boundaries).
_SCANS = [dataclasses.replace(p, regex=re.compile(_without_leading_boundaries(p.regex.pattern)))
          for p in _PATTERNS]

# A negation ends the 40 characters before the match: "not", "never", "no", "none", "nor",
# then at most two filler words ("i am not really suicidal", "no thoughts of suicide", "not
# going to hurt myself"). Anything looser would miss "i am not ok i want to die": when unsure,
# the net answers as a crisis. Punctuation stops it: "no, i want to die" is a crisis.
_FILLER = (r"(?:really|even|ever|been|being|be|feeling|feel|felt|going|to|want|wanting|"
           r"planning|trying|thinking|about|of|have|had|having|any|at|all|actually|currently|"
           r"a|an|am|was|is|thoughts)")
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|nobody|no one|noone)(?: " + _FILLER + r"){0,2} $")

# --- normalisation -------------------------------------------------------------------------
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_APOSTROPHES = re.compile("[\u2018\u2019\u201b\u02bc\u00b4`]")
_OD = re.compile(r"\bo\.d\.?['\-]?(d|ed|ing|in|s)?\b|\bod['\-](d|ed|ing|in|s)\b|\bod (ing)\b")
_TOKEN = re.compile(r"[^\W_]+|[.,!?;:]")  # words and sentence punctuation; emoji etc. go
_HELD = re.compile(r"([a-z])\1{2,}")
_WORDS = {
    # contractions, with or without the apostrophe, and their usual misspellings
    "dont": "do not", "dnt": "do not", "doesnt": "does not", "dosent": "does not",
    "dosnt": "does not", "doesent": "does not", "didnt": "did not", "didint": "did not",
    "cant": "can not", "cannot": "can not", "cnt": "can not", "couldnt": "could not",
    "wont": "will not", "wouldnt": "would not", "shouldnt": "should not", "isnt": "is not",
    "aint": "not", "arent": "are not", "wasnt": "was not", "werent": "were not",
    "hasnt": "has not", "havent": "have not", "hadnt": "had not", "im": "i am",
    "ima": "i am going to", "imma": "i am going to", "ive": "i have", "hes": "he is",
    "shes": "she is", "theyre": "they are", "whats": "what is", "thats": "that is",
    "idk": "i do not know",
    # slang and phonetic spellings
    "wanna": "want to", "wana": "want to", "wannna": "want to", "wan": "want", "wnt": "want",
    "wnna": "want to", "gonna": "going to", "gunna": "going to", "gona": "going to",
    "gnna": "going to", "finna": "going to", "boutta": "about to", "tryna": "trying to",
    "trynna": "trying to", "gotta": "got to", "bout": "about", "abt": "about",
    "thinkin": "thinking", "thnking": "thinking", "u": "you", "ur": "your", "r": "are",
    "jus": "just", "jst": "just", "pls": "please", "plz": "please", "kms": "kill myself",
    "kmself": "kill myself", "commiting": "committing", "comitting": "committing",
    "comiting": "committing", "nite": "night", "tonite": "tonight", "tmrw": "tomorrow",
    "anymore": "anymore", "nomore": "no more", "anymor": "anymore", "wit": "with",
    "bc": "because", "cuz": "because", "wen": "when", "thru": "through", "sumthin": "something",
    "somethin": "something", "ppl": "people", "ne1": "anyone", "b": "be",
    "myslef": "myself", "myslf": "myself", "mysef": "myself", "mysel": "myself",
    "meself": "myself", "mself": "myself", "myselfe": "myself", "mysellf": "myself",
    "hisself": "himself", "himslef": "himself", "herslef": "herself",
}
_SELF_SPLIT = re.compile(r"\b(my|me|mi|ma|him|his|her|them) ?(?:s[ae]l+f+e?|slef|slf|sef|sefl|"
                         r"selves)\b")
_SELF_JOIN = {"my": "myself", "me": "myself", "mi": "myself", "ma": "myself", "him": "himself",
              "his": "himself", "her": "herself", "them": "themselves"}


def _od(m: re.Match[str]) -> str:
    suffix = m.group(1) or m.group(2) or m.group(3) or ""
    return "od" + ("ed" if suffix == "d" else suffix)


def normalise(text: str) -> str:
    """Words and sentence punctuation, one space apart, in one spelling (see the module doc).
    Cheap steps are skipped when the text cannot need them: this runs on every message."""
    t = text.lower()
    if not t.isascii():
        t = _APOSTROPHES.sub("'", _INVISIBLE.sub("", unicodedata.normalize("NFKC", t).lower()))
    if "od" in t or "o.d" in t:
        t = _OD.sub(_od, t)
    t = _HELD.sub(r"\1", t.replace("'", ""))
    t = " ".join([_WORDS.get(w, w) for w in _TOKEN.findall(t)])
    if "sel" in t or "slef" in t or "slf" in t or "sef" in t:
        t = _SELF_SPLIT.sub(lambda m: _SELF_JOIN[m.group(1)], t)
    return t.replace(" not not ", " ")


@dataclass(frozen=True)
class CrisisMatch:
    kind: str
    phrase: str


# A long text is scanned only around the places where a pattern's anchors occur: every match
# contains an anchor, starts at most _BEFORE characters before it and, with what its lookaheads
# read, ends within _AFTER characters after it. With many occurrences, the whole text.
_BEFORE, _AFTER, _MAX_WINDOWS = 200, 300, 16


def _windows(t: str, anchors: tuple[str, ...] | None) -> list[tuple[int, int]]:
    if anchors is None or len(t) <= _BEFORE + _AFTER:
        return [(0, len(t))] if anchors is None or any(a in t for a in anchors) else []
    hits: list[int] = []
    for anchor in anchors:
        i = t.find(anchor)
        while i >= 0:
            if len(hits) == _MAX_WINDOWS:
                return [(0, len(t))]
            hits.append(i)
            i = t.find(anchor, i + 1)
    windows: list[tuple[int, int]] = []
    for i in sorted(hits):
        lo, hi = max(0, i - _BEFORE), min(len(t), i + len(max(anchors, key=len)) + _AFTER)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    return windows


def _accepted(pattern: _Pattern, t: str, m: re.Match[str]) -> int:
    """Where the crisis phrase of the match starts, or -1 when it does not count."""
    start = m.start()
    if start and t[start - 1] != " ":  # inside a word (the scans have no leading \b)
        return -1
    if pattern.after is not None:
        context = pattern.after.search(t, max(0, start - 80), start)
        if context is None:
            return -1
        start = context.start()
    # search(t, pos, end): "$" is the start of the phrase, "^" only the text's start
    if pattern.negatable and _NEGATION.search(t, max(0, start - 40), start):
        return -1
    if pattern.unless_before is not None and pattern.unless_before.search(
            t, max(0, start - 40), start):
        return -1
    return start


def rule_matches(normalised: str) -> Iterator[tuple[int, CrisisMatch, int]]:
    """(pattern index, match, where it starts) for each pattern that matches the normalised
    text, not negated: its first such match."""
    t = normalised
    if not t:
        return
    for index, pattern in enumerate(_SCANS):
        found = None
        for lo, hi in _windows(t, pattern.anchors):
            m = pattern.regex.search(t, lo, hi)
            while m is not None:
                start = _accepted(pattern, t, m)
                if start >= 0:
                    found = (CrisisMatch(pattern.kind, t[start : m.end()]), start)
                    break
                # on from the next character, so that an overlapping match is still tried
                m = pattern.regex.search(t, m.start() + 1, hi)
            if found is not None:
                yield index, *found
                break


def match_rules(normalised: str) -> CrisisMatch | None:
    """The first crisis expression in the normalised text that is not negated, or None."""
    return next((m for _, m, _ in rule_matches(normalised)), None)


def detect_crisis(text: str) -> CrisisMatch | None:
    """The crisis net: the rules, then the learned layer (`api.services.crisis_model`) for
    what no rule foresaw (see `decide`)."""
    return decide(normalise(text or ""), _learned)


def _learned(t: str) -> tuple[WindowScores, float, float] | None:
    from api.services.crisis_model import CONFIRM_THRESHOLD, classifier_if_ready

    classifier = classifier_if_ready()
    if classifier is None:
        return None
    return classifier.window_scores(t), classifier.threshold, CONFIRM_THRESHOLD


def decide(t: str, learned: Callable[[str], tuple[WindowScores, float, float] | None]
           ) -> CrisisMatch | None:
    """A crisis when a rule fires (a `confirm` rule only when the learned layer agrees, see
    WindowScores.confirms) or the learned layer gives its threshold in some window.
    `learned(t)` gives the window scores and the two thresholds, or None while the learned
    layer is still loading. Loading or failing (a broken install, say), the rules answer
    alone, every rule counting; a failure is logged."""
    if not t:
        return None
    to_confirm = []
    for index, match, _start in rule_matches(t):
        if not _SCANS[index].confirm:
            return match
        to_confirm.append(match)
    try:
        learned_scores = learned(t)
    except Exception:
        log.exception("crisis classifier failed; the rules alone answered")
        learned_scores = None
    if learned_scores is None:  # failed, or still loading: every rule counts
        return to_confirm[0] if to_confirm else None
    scores, threshold, confirm_threshold = learned_scores
    if to_confirm and scores.confirms(confirm_threshold):
        return to_confirm[0]
    if scores.best >= threshold:
        return CrisisMatch("learned", scores.best_window())
    return None
