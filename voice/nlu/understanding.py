"""Local language understanding from the same model the platforms get: utterance -> intent,
slots, score and the near misses. The understanding for Alice when her own grammar found
nothing, and for the console, `simulate` and the YAML tests; on Alexa and Dialogflow the
assistants understand and this module only checks the exports (nlu-eval).

Three steps, all in memory (measured in the nlu-eval report, well under a millisecond):
1. A sample template that matches the whole sentence wins with score 1.0 (a `{slot}` only
   takes text that parses as its type).
2. Otherwise values are found anywhere in the sentence: an email said or typed, a phone
   number (a run of digits or number words that phonenumbers accepts for the shop's
   region), a one-time code (4-8 digits), a channel word. Their words become placeholders
   ("send my invite to {phone}"), so the sentence compares to the samples by meaning.
3. Every word is stemmed (Snowball; a few families such as friend/sister/коллега/Kollegin
   share one token) and weighted by how few intents use it; the score is the weighted Dice
   overlap with the closest sample. Words no sample knows weigh against a match, so
   off-topic speech falls below THRESHOLD and is Fallback. A value found narrows the
   choice: a contact means SendInvite or ProvideContact, digits alone ProvideCode."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
import snowballstemmer

from core.contacts import region_of
from voice import model as language_model
from voice.nlu import topics
from voice.nlu.emails import find_email, parse_email, tokenize
from voice.nlu.numbers import number_runs, spoken_number
from voice.nlu.weekdays import WEEKDAY_IDS, weekday_in, weekday_span

THRESHOLD = 0.5
# An intent whose topic the sentence names (voice.nlu.topics) needs less overlap: the topic
# word already rules out speech about anything else.
TOPIC_THRESHOLD = 0.4
_PUNCT = re.compile(r"[^\w@.+\-'\s]", re.UNICODE)
FILLERS = {"um", "umm", "uh", "uhm", "er", "erm", "hmm", "hm", "mm", "ну", "эээ", "ээ", "э",
           "эм", "ммм", "мм", "ähm", "äh", "öhm", "ehm", "hmmm", "э-э", "э-э-э", "а-а", "м-м",
           "хм", "эмм", "ähh", "öh", "uhh", "hmm-hmm"}
LEADING_FILLERS = {"so", "well", "hey", "а", "слушай", "also", "okay so", "ok so", "oh",
                   "naja", "na", "так", "вот", "короче", "alright",
                   # greetings before a request ("servus schick mir …", «привет …»)
                   "hi", "hello", "hallo", "servus", "moin", "grüß", "grüezi", "привет",
                   "здравствуйте", "здравствуй", "алло", "добрый"}
# A one-shot request carries the invocation ("ask acme to ...", "frag acme nach ...",
# «попроси магазин ...»): the carrier, the skill's name (one or two words the samples do
# not know) and the connector are not the request.
_CARRIERS = {"ask", "tell", "frag", "frage", "sag", "sage", "попроси", "скажи", "спроси"}
_CONNECTORS = {"to", "for", "about", "if", "whether", "nach", "ob", "dass", "es", "soll",
               "чтобы", "чтоб", "про", "о", "об"}
STEMMERS = {"en": "english", "ru": "russian", "de": "german"}
# Words that mean the same to this product, one token each (the samples cannot list every
# relative a friend may be).
CONCEPTS = {
    "@friend": (
        "friend friends buddy pal mate sister brother mom mum mother dad father wife husband "
        "coworker co-worker colleague neighbor neighbour someone somebody cousin girlfriend "
        "boyfriend son daughter aunt uncle roommate partner grandma grandpa niece nephew "
        "жена жене жену муж мужу мужа бабушке дедушке дочке дочери сыну тете дяде "
        "подругой коллегой сестрой братом мамой папой женой мужем соседом соседкой "
        "друзьям друзьями подругам коллегам сестры брата подруги коллеги "
        "frau mann partner partnerin tochter sohn tante onkel oma opa nichte neffe "
        "друг друга другу другом подруга подругу подруге брат брата брату сестра сестру "
        "сестре мама маму маме папа папе коллега коллегу коллеге знакомый знакомого "
        "знакомому знакомой знакомым соседу соседке кого-нибудь кому-нибудь кого-то кому-то "
        "freund freundin freunde freunden schwester bruder kollege kollegen kollegin "
        "bekannten bekannte jemanden jemand mutter vater nachbarn nachbar cousine "
        "bestie bff fiance fiancee stepmom stepdad stepbrother stepsister grandmother "
        "grandfather granny grandson granddaughter kid kids bro sis homie dude classmate "
        "teammate boss family relative relatives in-law sister-in-law brother-in-law "
        "mother-in-law father-in-law godmother godson buddies pals mates neighbors neighbours "
        "colleagues coworkers cousins sisters brothers parents folks roomie flatmate housemate "
        "bf gf hubby wifey grandchildren friend's "
        "schwiegermutter schwiegervater schwager schwägerin enkel enkelin kumpel kumpels "
        "mitbewohner mitbewohnerin nachbarin chef chefin verlobte verlobten verlobter cousins "
        "patenkind schulfreund schulfreundin kommilitone kommilitonin eltern mama papa "
        "familie verwandte verwandten bekannter freundes freundinnen brüder schwestern "
        "geschwister jemandem kollegin kolleginnen freundinnen mitarbeiter mitarbeiterin"),
}
# Russian relatives by stem (every case: «зять», «зятю», «зятем»), a word at most three
# letters longer than the stem; words that only look alike are listed apart.
_RU_RELATIVE_STEMS = (
    "зят", "тещ", "свекров", "свекр", "невестк", "племянни", "внук", "внучк", "дочк", "дочер",
    "жених", "невест", "одноклассни", "однокурсни", "приятел", "товарищ", "кореш", "друган",
    "братан", "братишк", "сестрен", "сеструх", "подружк", "подруг", "коллег", "сосед",
    "крестн", "бабушк", "бабул", "дедушк", "мамочк", "мамул", "папочк", "родител", "родн",
    "знаком", "начальни", "шеф", "друз", "сестр", "брат", "друг")
_RU_NOT_RELATIVES = frozenset({
    "брать", "братья-то", "другой", "другая", "другое", "другие", "других", "другим", "другими",
    "другого", "другому", "другую", "родной", "родная", "родное", "родные", "родных", "родину",
    "знакомо", "знакомство", "сестринский", "дружить"})
_CONCEPT_OF = {word: concept for concept, words in CONCEPTS.items() for word in words.split()}
UNKNOWN_WEIGHT = 1.2  # a word no sample has: evidence against every intent
FUNCTION_WEIGHT = 0.25  # an unknown short function word ("could", "mir", "же")
_FUNCTION_TEXT = (
    "a an the to for of on in at by with is it it's its i i'm me my you your can could "
    "would will please do does did just now then so and or this that these those be been "
    "are am was were have has had get got any some again all what what's how where when "
    "which who about after also as because but even ever from here if into like maybe off "
    "out over really still than them there they those too up us very we yet "
    "our their anyone anybody anything "
    "я мне меня мой моя мою мои моего моему ты тебя твой вы вас а и в во на по с со к ко "
    "у о об за же ли бы это то там тут вот уже ещё еще пожалуйста мне-то ка так что как "
    "какой какая где когда вообще тоже также просто очень или но мы они он она их "
    "ich mir mich mein meine meinen meinem du dir dein der die das den dem des ein eine "
    "einen einem und oder zu zum zur an auf in im mit von für ist bitte mal doch noch schon "
    "es er sie wir was wie wo wann welche welcher auch nur sehr denn eben halt ihr uns aus "
    "bei nach um")
FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())
VALUE_INTENTS = {"ProvideContact", "ProvideCode"}
CONTACT_INTENTS = ("SendInvite", "ProvideContact")


@dataclass(frozen=True)
class Understanding:
    intent: str
    slots: dict[str, str]
    score: float
    near_misses: tuple[tuple[str, float], ...] = ()
    template: str = ""


@dataclass
class _Compiled:
    intent: str
    sample: str
    regex: re.Pattern[str]
    slot_types: dict[str, str]
    tokens: frozenset[str] = field(default_factory=frozenset)


# A recognizer (or a phone keyboard) writes a contraction without its apostrophe, with a
# typographic one, or split: "dont", "don’t", "don t" are all "don't", so a negation is
# read as one whatever the spelling ("dont send it" must never be a yes).
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_CONTRACTED = ("do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "ca",
               "wo", "should", "would", "could", "must", "need", "ai")
_BARE_CONTRACTION = re.compile(
    r"\b(?:(" + "|".join(_CONTRACTED) + r")n ?t|(can)t|(won)t)\b")


# Other apostrophe-less English forms a recognizer writes ("thats right").
_BARE_APOSTROPHE = re.compile(r"\b(that|what|there|here)s\b|\b(you)re\b|\b(i)ve\b")


def _apostrophe(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + "'s"
    return match.group(2) + "'re" if match.group(2) else match.group(3) + "'ve"


def _contraction(match: re.Match[str]) -> str:
    stem = match.group(1) or match.group(2) or match.group(3)
    return {"ca": "can", "can": "can", "wo": "won", "won": "won"}.get(stem, stem + "n") + "'t"


# «кого нибудь», «что то»: a recognizer splits what Russian writes with a hyphen
_RU_PARTICLE = re.compile(r"\b(кто|кого|кому|кем|что|чего|чему|где|куда|когда|как|какой|какую|"
                          r"какие|какого|чей|чья|чье)\s(нибудь|либо|то)\b")


def normalize(text: str) -> str:
    text = _PUNCT.sub(" ", text.lower().replace("ё", "е").translate(_APOSTROPHES))
    text = _RU_PARTICLE.sub(r"\1-\2", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    return _BARE_APOSTROPHE.sub(_apostrophe, _BARE_CONTRACTION.sub(_contraction, text))


def _without_fillers(text: str) -> str:
    words = [w for w in text.split() if w not in FILLERS]
    while len(words) > 1 and words[0] in LEADING_FILLERS:
        words = words[1:]
    return " ".join(_without_invocation(words))


def _without_names(text: str, names: Iterable[str]) -> str:
    """`text` without the words of the shop's names (unless nothing else is left), and the
    carrier that asked the shop ("ask acme send me …", «попроси акме скинуть …»)."""
    drop = {word for name in names for word in normalize(name).split()
            if len(word) > 1 and word not in FUNCTION_WORDS}
    if not drop:
        return text
    words = text.split()
    kept = [w for w in words if w not in drop]
    if len(kept) > 1 and kept[0] in _CARRIERS and kept != words:
        kept = kept[2:] if kept[1] in _CONNECTORS and len(kept) > 2 else kept[1:]
    return " ".join(kept) if kept else text


def _without_invocation(words: list[str]) -> list[str]:
    """"ask acme to send me my link" -> "send me my link": a carrier word, then the name
    (up to two words) before a connector. Without a connector within reach, nothing is
    dropped ("tell me my code" keeps its words)."""
    if len(words) < 4 or words[0] not in _CARRIERS:
        return words
    for end in (2, 3):  # Russian: the name, then what to do («попроси акме скинуть мне код»)
        if end < len(words) - 1 and words[end].endswith(("ть", "ти", "чь")) and \
                not {*words[1:end]} & (_CONNECTORS | FUNCTION_WORDS) and \
                not words[1].endswith(("ть", "ти", "чь")):
            return words[end:]
    for end in (2, 3):  # the connector right after a one- or two-word name
        if end < len(words) - 1 and words[end] in _CONNECTORS and \
                not {*words[1:end]} & (_CONNECTORS | FUNCTION_WORDS):
            rest = end
            while rest < len(words) - 1 and words[rest] in _CONNECTORS:
                rest += 1
            return words[rest:]
    return words


def _literal_tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in re.split(r"[\s.]+", text) if t and not t.startswith("{"))


def _training(locale: str) -> dict[str, tuple[str, ...]]:
    """Per intent, the sentences to learn from: the samples and paraphrases, and the
    out-of-scope sentences as Fallback's (the closest match to "share this song" is then
    a sentence that does nothing, not the nearest request that acts)."""
    loc = language_model.load().locale(locale)
    training = loc.training()
    if loc.out_of_scope:
        training["Fallback"] = loc.out_of_scope
    return training


@lru_cache(maxsize=8)
def _compiled(locale: str) -> tuple[_Compiled, ...]:
    lm = language_model.load()
    out = []
    for intent, samples in _training(locale).items():
        # a placeholder the intent has no slot for is still read as its type (a paraphrase
        # "cancel my {weekday} reminder" matches a day, and the value is not the intent's)
        slot_types = {**_slot_types_by_name(), **(
            lm.intents[intent].slots if intent in lm.intents else {})}
        for sample in samples:
            parts = []
            for part in re.split(r"(\{\w+\})", sample):
                if part.startswith("{"):
                    parts.append(f"(?P<{part[1:-1]}>.+?)")
                elif normalize(part):
                    parts.append(re.escape(normalize(part)))
            pattern = r"\s".join(parts)
            out.append(_Compiled(intent, sample, re.compile(f"^{pattern}$"),
                                 dict(slot_types), _literal_tokens(normalize(sample))))
    # Templates without slots first ("help" must not be read as a phone number), then the
    # slot templates with the most literal words ("my number is {phone}" before "{phone}").
    return tuple(sorted(out, key=lambda c: (bool(c.slot_types and "{" in c.sample),
                                            -len(c.tokens))))


# --- slot values --------------------------------------------------------------------------

def _channel(value: str, locale: str) -> str | None:
    lm = language_model.load()
    needle = normalize(value)
    for item in lm.locale(locale).slot_values.get("CHANNEL", ()):
        if needle == item.id or needle in (normalize(s) for s in item.synonyms):
            return item.id
    return None


@lru_cache(maxsize=8)
def _channel_words(locale: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Every channel synonym as a token tuple, longest first ("text message" before
    "message")."""
    lm = language_model.load()
    pairs = {(tuple(normalize(s).split()), item.id)
             for item in lm.locale(locale).slot_values.get("CHANNEL", ())
             for s in (item.id, *item.synonyms)}
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p)))


def channel_span(words: list[str], locale: str) -> tuple[int, int, str] | None:
    """[start, end) and the channel id of the first channel named in `words`; a one-word
    channel also by its stem ("texted", "emailed")."""
    found: list[tuple[int, int, str]] = []
    for synonym, channel_id in _channel_words(locale):
        n = len(synonym)
        for i in range(len(words) - n + 1):
            if tuple(words[i:i + n]) == synonym and not any(
                    s < i + n and i < e for s, e, _ in found):
                found.append((i, i + n, channel_id))
    if found:
        # "als nachricht auf whatsapp", "a message on telegram": the app named beats the
        # word for a message (an SMS synonym); otherwise the first named
        apps = [f for f in found if f[2] != "sms"]
        return min(apps or found)
    language = locale.split("-")[0]
    stems = _channel_stems(locale)
    for i, word in enumerate(words):
        if not word.startswith("{") and len(word) > 3 and _stem(word, language) in stems:
            return i, i + 1, stems[_stem(word, language)]
    return None


@lru_cache(maxsize=8)
def _channel_stems(locale: str) -> dict[str, str]:
    language = locale.split("-")[0]
    return {_stem(synonym[0], language): channel_id
            for synonym, channel_id in _channel_words(locale)
            if len(synonym) == 1 and len(synonym[0]) > 3}


def parse_phone(raw: str, region: str | None) -> str | None:
    """E.164 when phonenumbers finds a possible number for the region (validity, and so the
    spoken "that isn't a valid number", is the dialog's call)."""
    digits = spoken_number(raw)
    if len(digits.lstrip("+")) < 7 or not _all_numeric(normalize(raw).split()):
        return None
    try:
        number = phonenumbers.parse(digits, region or "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_slot(slot_type: str, raw: str, locale: str, region: str | None = None) -> str | None:
    """The slot's value when `raw` is plausibly of this type, else None."""
    raw = raw.strip()
    if slot_type == "CHANNEL":
        return _channel(raw, locale)
    if slot_type == "WEEKDAY":  # the day and at most one word with it ("every friday")
        day = weekday_in(raw, locale) if len(raw.split()) <= 2 else None
        return WEEKDAY_IDS[day] if day is not None else None
    if slot_type == "PHONE":
        return parse_phone(raw, region or region_of(locale))
    if slot_type == "EMAIL":
        return parse_email(normalize(raw) if "@" not in raw else raw.lower())
    if slot_type == "NUMBER":  # a one-time code: 4 to 8 digits (longer is a phone number)
        digits = spoken_number(raw).lstrip("+")
        words = [w for w in normalize(raw).split() if w]
        return digits if 0 < len(digits) <= 8 and _all_numeric(words) else None
    return raw or None


def _all_numeric(words: list[str]) -> bool:
    return all(w.lstrip("+").isdigit() or spoken_number(w) or w in ("hundred", "hundert", "-")
               for w in words)


@dataclass
class _Values:
    """What was found in the sentence, and the words with the values replaced."""

    words: list[str]
    email: str | None = None
    phone: str | None = None
    pin: str | None = None
    channel: str | None = None
    weekday: str | None = None


def _values(text: str, locale: str, region: str | None) -> _Values:
    tokens = tokenize(text)
    found = _Values(words=list(tokens))
    spans: list[tuple[int, int, str]] = []
    email = find_email(tokens)
    if email:
        found.email = email[0]
        spans.append((*email[1], "{email}"))
    for start, end in number_runs(tokens):
        if any(s < end and start < e for s, e, _ in spans):
            continue
        run = " ".join(tokens[start:end])
        digits = spoken_number(run).lstrip("+")
        if len(digits) >= 7 and found.phone is None:
            phone = parse_phone(run, region or region_of(locale))
            if phone:
                found.phone = phone
                spans.append((start, end, "{phone}"))
                continue
        if 4 <= len(digits) <= 8 and found.pin is None:
            found.pin = digits
            spans.append((start, end, "{pin}"))
    words = list(tokens)
    for start, end, placeholder in sorted(spans, reverse=True):
        words[start:end] = [placeholder]
    found.words = words
    channel = channel_span(words, locale)
    if channel:
        found.channel = channel[2]
        words[channel[0]:channel[1]] = ["{channel}"]
    at, day = weekday_span(words, locale.split("-")[0])
    if at is not None and day is not None:
        found.weekday = WEEKDAY_IDS[day]
        words[at] = "{weekday}"
    found.words = words
    return found


# A weekday with one of these is a recurring day: "every friday", «по пятницам».
_RECURRING = {"every", "each", "weekly", "jeden", "jede", "jeweils", "wöchentlich", "immer",
              "каждый", "каждую", "каждое", "по", "еженедельно"}


def _reading(found: _Values, locale: str) -> topics.Reading:
    language = locale.split("-")[0]
    # A relative in any form counts as a friend for the topics, as for the scorer
    # («позови дедушку», "text my bestie"), and so do the words only one topic's samples use.
    words = [w if w.startswith("{") or _stem(w.strip("'"), language) != "@friend"
             else "@friend" for w in found.words]
    reading = topics.read(words, language)
    learned = _learned_topics(locale)
    extra = {topic for w in found.words if not w.startswith("{")
             for topic in learned.get(_stem(w.strip("'"), language), ())}
    if found.weekday and _RECURRING & set(found.words):
        extra.add("reminder")
    if extra - reading.topics:
        return dataclasses.replace(reading, topics=reading.topics | extra)
    return reading


@lru_cache(maxsize=8)
def _learned_topics(locale: str) -> dict[str, frozenset[str]]:
    """Stems that only one topic's intents use, in two samples or more ("засчит" only in
    ExplainProgram's, "koppel" only in LinkAccount's): a word of that topic, learned from the
    samples rather than listed by hand. Never a stem the out-of-scope sentences use, and only
    for the topics of questions (_LEARNABLE_TOPICS)."""
    language = locale.split("-")[0]
    function = _function_stems(language)
    owners: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for intent, features in _index(locale).samples:
        for feature in features:
            owners.setdefault(feature, set()).add(intent)
            counts[feature] = counts.get(feature, 0) + 1
    out: dict[str, frozenset[str]] = {}
    for feature, intents in owners.items():
        if feature in function or feature.startswith(("{", "@")) or counts[feature] < 2:
            continue
        named = {topics.INTENT_TOPICS.get(intent) for intent in intents}
        topic = named.pop() if len(named) == 1 else None
        if topic in _LEARNABLE_TOPICS:
            out[feature] = frozenset({topic})
    return out


# Topics of questions only: a learned word may open them, never a topic of an intent that
# sends, erases or subscribes (those keep their hand-written words).
_LEARNABLE_TOPICS = frozenset({"explain", "balance", "referrals"})


# --- intent scoring -----------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _stem(word: str, language: str) -> str:
    if word.startswith("{") or word.startswith("@"):
        return word
    concept = _CONCEPT_OF.get(word)
    if concept:
        return concept
    if language == "ru" and word not in _RU_NOT_RELATIVES and any(
            word.startswith(s) and len(word) <= len(s) + 3 for s in _RU_RELATIVE_STEMS):
        return "@friend"
    stemmer = _stemmer(language)
    return stemmer.stemWord(word) if stemmer is not None else word


@lru_cache(maxsize=8)
def _stemmer(language: str):  # type: ignore[no-untyped-def]
    name = STEMMERS.get(language)
    return snowballstemmer.stemmer(name) if name else None


def _features(words: list[str], language: str) -> frozenset[str]:
    out = set()
    for word in words:
        for part in re.split(r"[\s.]+", word) if not word.startswith("{") else [word]:
            if part and part not in ("-", "--"):
                out.add(_stem(part.strip("'"), language))
    return frozenset(out)


@dataclass(frozen=True)
class _Index:
    samples: tuple[tuple[str, frozenset[str]], ...]  # intent, features
    weights: dict[str, float]
    postings: dict[str, tuple[int, ...]]  # feature -> the samples that have it
    totals: tuple[float, ...]  # each sample's summed weight
    # Stems only the out-of-scope sentences use ("song", "wifi", «такси»): speech about that
    # thing, whatever else it shares with a request of ours.
    foreign: frozenset[str] = frozenset()
    ours: frozenset[str] = frozenset()  # stems a request of ours uses (not only Fallback's)


@lru_cache(maxsize=8)
def _index(locale: str) -> _Index:
    language = locale.split("-")[0]
    samples = []
    intents_of: dict[str, set[str]] = {}
    ours: set[str] = set()  # stems of our verbs and topics, never foreign ("напиши", "code")
    for intent, lines in _training(locale).items():
        for sample in lines:
            words = [w for part in re.split(r"(\{\w+\})", sample) if part
                     for w in ([part] if part.startswith("{") else normalize(part).split())]
            channel = channel_span(words, locale)  # as in what is said: "text me" too
            if channel:
                words[channel[0]:channel[1]] = ["{channel}"]
            features = _features(words, language)
            if not features:
                continue
            ours.update(_stem(w.strip("'"), language) for w in words
                        if not w.startswith("{") and _of_ours(w, language))
            samples.append((intent, features))
            for f in features:
                intents_of.setdefault(f, set()).add(intent)
    n = len({intent for intent, _ in samples}) or 1
    function = _function_stems(language)
    weights = {f: math.log(1 + n / len(owners)) * (FUNCTION_WEIGHT if f in function else 1.0)
               for f, owners in intents_of.items()}
    postings: dict[str, list[int]] = {}
    for n, (_, features) in enumerate(samples):
        for f in features:
            postings.setdefault(f, []).append(n)
    totals = tuple(sum(weights[f] for f in features) for _, features in samples)
    channel_stems = {_stem(word, language) for synonym, _ in _channel_words(locale)
                     for word in synonym}  # "nachricht", «сообщение»: words of our channels
    foreign = frozenset(f for f, owners in intents_of.items()
                        if owners == {"Fallback"} and f not in function
                        and not f.startswith("{") and f not in channel_stems
                        and f not in ours)
    return _Index(tuple(samples), weights, {f: tuple(ns) for f, ns in postings.items()},
                  totals, foreign,
                  frozenset(f for f, owners in intents_of.items() if owners - {"Fallback"}))


@lru_cache(maxsize=65536)
def _of_ours(word: str, language: str) -> bool:
    """Is the word one of sending or sharing, or of a topic of ours ("напиши", "code")?"""
    return topics.asks_to_send([word], language) or bool(topics.read([word], language).topics)


def _weight(feature: str, index: _Index, stemmed_function: set[str]) -> float:
    if feature in index.weights:
        return index.weights[feature]
    return FUNCTION_WEIGHT if feature in stemmed_function else UNKNOWN_WEIGHT


@lru_cache(maxsize=8)
def _function_stems(language: str) -> frozenset[str]:
    return frozenset(_stem(w, language) for w in FUNCTION_WORDS)


def _scores(words: list[str], locale: str, strict: bool = True) -> dict[str, float]:
    """Per intent, the best sample's score; `strict` needs a content word in common."""
    index = _index(locale)
    language = locale.split("-")[0]
    function = set(_function_stems(language))
    said = _features(words, language)
    if language == "de":
        said = _decompounded(said, locale)
    said = _corrected(said, locale)
    said_weight = sum(_weight(f, index, function) for f in said)
    scores: dict[str, float] = {}
    content = said - function
    candidates: set[int] = set()
    for feature in (content - {f for f in content if f.startswith("@")}
                    if strict and content else said):  # a strict match shares a content word
        candidates.update(index.postings.get(feature, ()))
    for n in candidates:
        intent, features = index.samples[n]
        common = said & features
        if not common or (strict and content and (
                not (common & content) or all(f.startswith("@") for f in common & content))):
            continue  # only "my", "the" or a relative in common is no match
        sample_weight = index.totals[n]
        shared = sum(index.weights[f] for f in common)
        dice = 2 * shared / (said_weight + sample_weight)
        score = (dice + shared / said_weight) / 2  # closeness, and how much of it we know
        if score > scores.get(intent, 0.0):
            scores[intent] = score
    return scores


@lru_cache(maxsize=8)
def _known_heads(locale: str) -> tuple[str, ...]:
    """Stems the samples know that can end a German compound (four letters or more,
    longest first): "werbecode" ends in "code", "wochenbericht" in "bericht"."""
    index = _index(locale)
    return tuple(sorted((f for f in index.weights if len(f) >= 4 and f.isalpha()),
                        key=len, reverse=True))


# What joins the parts of a German compound ("wochen|bericht", "empfehlungs|link") and the
# particles that open a separable verb ("weiter|empfehlen", "ein|laden").
_LINKS = ("", "s", "es", "n", "en", "e", "er", "ns")
_PARTICLES = frozenset({"weiter", "ein", "mit", "zu", "an", "ab", "aus", "auf", "vor", "nach",
                        "zurück", "her", "hin", "los", "wieder", "rein", "raus", "durch"})


def _known_modifier(part: str, locale: str) -> str | None:
    """The known stem a compound's first part is, with or without its linking letters."""
    weights = _index(locale).weights
    if part in _PARTICLES:
        return part
    for link in _LINKS:
        if link and not part.endswith(link):
            continue
        base = part[:len(part) - len(link)] if link else part
        if len(base) < 3:
            continue
        for candidate in (base, _stem(base, "de")):
            if candidate in weights:
                return candidate
    return None


def _compound_parts(feature: str, locale: str) -> tuple[str, ...]:
    """A German word the samples do not know, read as known modifier + known head
    ("werbecode" -> werb + code). A compound whose first part is unknown is about that
    thing ("wetterbericht" is the weather's report, not our digest): no parts."""
    for head in _known_heads(locale):
        if head == feature or not feature.endswith(head) or len(feature) - len(head) < 3:
            continue
        modifier = _known_modifier(feature[:-len(head)], locale)
        if modifier is not None:
            return (modifier, head)
    return ()


def _decompounded(said: frozenset[str], locale: str) -> frozenset[str]:
    """A German word the samples do not know stands for the known stems it is made of."""
    index = _index(locale)
    out = set(said)
    for feature in said:
        if feature in index.weights or feature.startswith(("{", "@")) or len(feature) < 7:
            continue
        parts = _compound_parts(feature, locale)
        if parts:
            out.discard(feature)
            out.update(p for p in parts if p not in _PARTICLES)
    return frozenset(out)


@lru_cache(maxsize=8)
def _one_edit_index(locale: str) -> dict[str, tuple[str, ...]]:
    """Every known stem of five letters or more under itself and each one-letter deletion
    of it: two words one edit apart share a key (a symmetric-delete index)."""
    keys: dict[str, set[str]] = {}
    for stem in _index(locale).weights:
        if len(stem) < 5 or not stem.isalpha():
            continue
        for key in {stem, *(stem[:n] + stem[n + 1:] for n in range(len(stem)))}:
            keys.setdefault(key, set()).add(stem)
    return {key: tuple(sorted(stems)) for key, stems in keys.items()}


def _corrected(said: frozenset[str], locale: str) -> frozenset[str]:
    """A stem no sample knows, one letter away from exactly one that a sample knows, is
    that one: a recognizer's slip ("refferal", "empfelung", «прамокод») or an ending the
    stemmer left ("ссылочку")."""
    index = _index(locale)
    edits = _one_edit_index(locale)
    out = set(said)
    for feature in said:
        if feature in index.weights or len(feature) < 6 or not feature.isalpha():
            continue
        near = {stem for key in {feature, *(feature[:n] + feature[n + 1:]
                                            for n in range(len(feature)))}
                for stem in edits.get(key, ())}
        if len(near) == 1:
            out.discard(feature)
            out.add(near.pop())
    return frozenset(out)


def _near(scores: dict[str, float], exclude: str) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(((i, round(s, 3)) for i, s in scores.items()
                         if i != exclude and s > 0), key=lambda kv: -kv[1])[:3])


_REMINDER_INTENTS = ("SetReminder", "ListReminders")


@lru_cache(maxsize=8)
def _stems_of(locale: str, intent: str) -> frozenset[str]:
    return frozenset(f for name, features in _index(locale).samples if name == intent
                     for f in features)


_PRODUCT_INTENTS = frozenset(topics.INTENT_TOPICS) | {"LinkAccount"}
# "stop the timer", «выключи торшер», "starte den saugroboter": a command to another thing
_PLAIN_BUILTINS = frozenset({"Stop", "Cancel", "NavigateHome", "Repeat", "Help",
                             "WhatCanYouDo"})
_ACTING_INTENTS = frozenset({"ShareProgram", "SendInvite", "SetReminder", "SubscribeDigest",
                             "SubscribeDigestOnNews", "DeleteMyData"})


def _foreign(words: list[str], locale: str) -> bool:
    """Does the sentence use a word that only the out-of-scope sentences use?"""
    language = locale.split("-")[0]
    foreign = _index(locale).foreign
    return any(not w.startswith("{") and _stem(w.strip("'"), language) in foreign
               for w in words)


# What ties a code, a link or an invitation to its thing ("code for …", "link zum …",
# «приглашение на …»); possessives and articles may come between.
_OF = {"en": frozenset({"to", "for", "of", "from", "on"}),
       "de": frozenset({"zum", "zur", "für", "von", "vom", "zu", "auf", "aus"}),
       "ru": frozenset({"на", "в", "во", "для", "от", "к", "из"})}


_CALL_WORDS = frozenset({"phone", "call", "ring", "dial", "ruf", "rufe", "anrufen", "позвони",
                         "звони", "набери"})
_VIA = frozenset({"per", "via", "by", "über", "through", "через", "на", "в", "auf", "as", "als",
                  "in", "to", "an", "mir", "me", "мне", "bitte", "please", "пожалуйста"})


def _names_what_is_sent(words: list[str], text: str, locale: str,
                        reading: topics.Reading) -> bool:
    """Does a request to send name what is sent: the program (its code, link, an invite),
    sharing it, "it" standing alone ("send it to my brother", «скинь это») — not "this email",
    "das video" — or only the channel and nothing else ("скинь в вотсап", "per sms bitte")?
    "send a message to my husband", "find my phone", "phone my flatmate" name none."""
    language = locale.split("-")[0]
    if "program_core" in reading.topics or topics.shares(words, language):
        return True
    pronouns = topics.IT.get(language, frozenset())
    for n, word in enumerate(words):
        if word in pronouns:
            after = words[n + 1] if n + 1 < len(words) else ""
            then = words[n + 2] if n + 2 < len(words) else ""
            if not after or after in FUNCTION_WORDS or after in _VIA or (
                    after.startswith("{") and after != "{channel}") or \
                    _stem(after, language) == "@friend" or _stem(then, language) == "@friend":
                return True  # "schick es meiner schwester": a possessive, then who gets it
    said = text.split()
    if "{channel}" not in words or topics.MESSAGE_WORDS & set(said) or (
            said and said[0] in _CALL_WORDS):
        return False
    rest = [w for w in words if w != "{channel}" and w not in FUNCTION_WORDS
            and w not in _VIA and w not in _POLITE and not topics.asks_to_send([w], language)]
    return not rest


# Words that make the next one a thing ("the barbie", "a present", "zum grillen"); without
# one, a word no sample knows may be a person's name ("to sarah", «для маши»).
_ARTICLES = {"en": frozenset({"a", "an", "the", "some", "this", "that", "these", "those"}),
             "de": frozenset({"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen",
                              "einem", "einer", "zum", "zur", "im", "am", "vom", "beim"}),
             # «на свадьбу», «в семейный чат»: a person is «для маши», «маше», never «на маше»
             "ru": frozenset({"этот", "эту", "этой", "этого", "эти", "на", "в", "во", "из"})}
# Verbs whose object is what is shared ("share the shopping list", "recommend a present").
_SHARE_OBJECT_VERBS = {"en": ("share", "recommend", "refer"), "de": ("teil", "empfiehl", "empfehl"),
                       "ru": ("подели", "рекоменд", "порекоменд", "посовет")}


def _code_of_something_else(words: list[str], locale: str, topic: str = "program_core") -> bool:
    """Is a code, link or invitation named as one of another thing, or is another thing
    shared: a word before it ("gate code"), after a preposition ("link to the zoom
    meeting", "invite my mates to the barbie", «ссылку на статью») or after a verb of sharing
    ("share the shopping list", "recommend a present") that is not the program's?"""
    language = locale.split("-")[0]
    index = _index(locale)
    articles = _ARTICLES.get(language, frozenset())

    def other(n: int) -> bool:
        word = words[n]
        if word.startswith("{") or word in FUNCTION_WORDS or word in _ME.get(language, ()) \
                or spoken_number(word) or word.isdigit():
            return False
        stem = _stem(word.strip("'"), language)
        if stem.startswith("@") or stem in index.ours or _of_ours(word, language):
            return False
        return stem in index.foreign or (n > 0 and words[n - 1] in articles)

    def first_content(start: int, span: int) -> int | None:
        for m in range(start, min(start + span, len(words))):
            if words[m] not in FUNCTION_WORDS and words[m] not in articles:
                return m
        return None

    for n, word in enumerate(words):
        core = topics.names_topic(word, topic, language)
        sharing = topic == "program_core" and word.startswith(
            _SHARE_OBJECT_VERBS.get(language, ()))
        if not core and not sharing:
            continue
        if core and language == "en" and n and words[n - 1] not in FUNCTION_WORDS \
                and other(n - 1):
            return True  # English puts the thing first: "gate code"
        if sharing and not core:
            m = first_content(n + 1, 3)
            if m is not None and other(m):
                return True
        for m in range(n + 1, min(n + 5, len(words))):  # "… to the barbie", «… на свадьбу»
            if words[m] in _OF.get(language, frozenset()):
                after = first_content(m + 1, 3)
                if after is not None and other(after):
                    return True
                break
    return False


def _unknown_word(words: list[str], locale: str) -> bool:
    """Is a content word of the sentence one no sample of any intent uses?"""
    language = locale.split("-")[0]
    index = _index(locale)
    function = _function_stems(language)
    for word in words:
        if word.startswith("{") or word in FUNCTION_WORDS or word in FILLERS \
                or spoken_number(word) or word.isdigit() or len(word) < 3:
            continue
        stem = _stem(word.strip("'"), language)
        if stem not in index.weights and stem not in function and not stem.startswith("@"):
            return True
    return False


_TO = {"en": frozenset({"to", "for"}), "de": frozenset({"an", "für", "zu"}),
       "ru": frozenset({"для", "к"})}


def _sent_to_someone(words: list[str], language: str) -> bool:
    """Is someone else named as who gets it ("a weekly report to my team", "an meinen chef",
    «для мамы») — not what it is about ("по моим друзьям", "about my referrals")?"""
    for n, word in enumerate(words):
        if _stem(word, language) != "@friend" and word not in ("team", "team's", "команде"):
            continue
        before = [w for w in words[max(0, n - 3):n] if w not in FUNCTION_WORDS - _TO.get(
            language, frozenset())]
        if set(words[max(0, n - 3):n]) & _TO.get(language, frozenset()) or (
                before and topics.asks_to_send(before[-1:], language)):
            return True
    return False


def _sends_first(words: list[str], language: str) -> bool:
    """Does the sentence open with a verb of sending ("send a referral to jenny, her number
    is …")? A request, not an answer that only gives the number."""
    rest = [w for w in words if w not in _POLITE]
    return bool(rest) and topics.asks_to_send(rest[:1], language)


_POLITE = frozenset({"could", "can", "would", "will", "you", "please", "just", "bitte",
                     "kannst", "könntest", "du", "пожалуйста", "можешь", "ты"})


def _channel_as_verb(words: list[str], language: str) -> bool:
    """"text my neighbor …", "could you email my sister …": a channel said as the verb
    (English only: «телефон друга …» names the contact, it asks nothing)."""
    rest = [w for w in words if w not in _POLITE]
    return language == "en" and bool(rest) and rest[0] == "{channel}"


# Who gets it: the customer ("send it to me", "schick es mir", «пришли мне») — not after
# "for"/"by" ("works for me") — or a relative ("@friend").
_ME = {"en": frozenset({"me", "myself"}), "de": frozenset({"mir", "mich"}),
       "ru": frozenset({"мне", "меня", "себе"})}
_NOT_RECIPIENT_BEFORE = frozenset({"for", "by", "with", "to", "für", "bei", "для", "по",
                                   "remind", "tell", "show", "erinnere", "erinner", "напомни"})


def _recipient(words: list[str], language: str) -> str | None:
    """"friend" when a relative is named, "me" when the customer is the one who gets it;
    with both, the first named ("send me the link for my friends", «пришли мне ссылку для
    друга»: me; "send my sister the code" : friend)."""
    for n, word in enumerate(words):
        if _stem(word, language) == "@friend":
            return "friend"
        if word in _ME.get(language, frozenset()) and not (
                n and words[n - 1] in _NOT_RECIPIENT_BEFORE - {"to"}):
            return "me"
    return None


# Words that go with an assent without changing it ("sure thing", «всё верно»).
_COMPANION_TEXT = ("thing things totally good go ahead fine all set deal ok okay "
                   "her him them now number email address "
                   "gut doch ordnung alles so dann gerne ihr ihm jetzt sofort nummer adresse "
                   "все всё так давайте уж можно ей ему им сейчас скорее номер адрес почта верный "
                   "правильный")
_ASSENT_COMPANIONS = frozenset(_COMPANION_TEXT.split())


def _beyond_assent(words: list[str], locale: str) -> bool:
    """Has the sentence a content word that no Yes sample and no word of assent uses?
    ("sure why not": the agreeing phrase is part of the assent.)"""
    language = locale.split("-")[0]
    known = _stems_of(locale, "Yes")
    function = _function_stems(language)
    for word in topics.without_agreeing(words, language):
        if word.startswith("{") or word in FUNCTION_WORDS or word in FILLERS \
                or topics.assents([word], language) or word in _ASSENT_COMPANIONS:
            continue
        stem = _stem(word.strip("'"), language)
        if stem not in known and stem not in function:
            return True
    return False


@lru_cache(maxsize=8)
def _reminder_stems(locale: str) -> frozenset[str]:
    """Every stem the reminder intents' samples use ("remind", "every", "week", "share")."""
    index = _index(locale)
    return frozenset(f for intent, features in index.samples
                     if intent in ("SetReminder", "StopReminders", "ListReminders")
                     for f in features)


def _foreign_task(words: list[str], reading: topics.Reading, locale: str) -> bool:
    """Does a reminder request name a task that is not sharing the program ("remind me to
    buy milk", "erinnere mich an den zahnarzt", «напомни позвонить маме»)? After the
    reminder word, a task's marker ("to", "about", "an", «о», a Russian infinitive) and a
    content word no reminder sample uses, and no word of the program (code, link, share)."""
    language = locale.split("-")[0]
    if "program_core" in reading.topics or topics.shares(words, language):
        return False
    known = _reminder_stems(locale)
    function = _function_stems(language)
    markers = _TASK_MARKERS.get(language, frozenset())
    marked = False
    for word in words:
        if word in markers:
            marked = True
            continue
        if word.startswith("{") or word in FUNCTION_WORDS or spoken_number(word) \
                or word.isdigit() or topics.names_reminder([word], language):
            continue
        stem = _stem(word.strip("'"), language)
        if stem in known or stem in function or stem.startswith("@"):
            continue
        if marked or (language == "ru" and word.endswith(("ть", "ти", "чь"))):
            return True
    return False


# The words before a reminder's task ("remind me to …", "erinnere mich an …", «напомни о …»).
_TASK_MARKERS = {"en": frozenset({"to", "about", "of", "for"}),
                 "de": frozenset({"an", "daran", "zu", "wegen", "für"}),
                 "ru": frozenset({"о", "об", "про"})}


# --- the entry point ----------------------------------------------------------------------

def warm(locales: Iterable[str] = ("en-US", "de-DE", "ru-RU")) -> None:
    """Build every locale's index now (the server's master, before it forks workers), so no
    customer's first turn waits for it."""
    for locale in locales:
        understand("warm up", locale)


def understand(utterance: str, locale: str, region: str | None = None,
               names: Iterable[str] = ()) -> Understanding:
    """Best intent for `utterance`; `region` (the shop's country) reads national numbers;
    `names` are the shop's own names ("acme", «акме», its slug): said inside a request
    ("share acme with my friends", «поделись акме с подругой») they are no unknown word."""
    text = _without_names(_without_fillers(normalize(utterance)), names)
    if not text:
        return Understanding("Fallback", {}, 0.0)
    matched = _template(text, locale, region)
    if matched is not None:
        if matched.intent == "Yes" and topics.is_negated(text.split(), locale.split("-")[0]):
            return dataclasses.replace(matched, intent="No")  # a negated yes is never one
        return matched
    found = _values(text, locale, region)
    lm = language_model.load()
    reading = _reading(found, locale)
    stop_intent = topics.stopping(reading)
    if stop_intent == "StopDigest" and reading.only_when and reading.news:
        stop_intent = None  # "no empty digests, only when something's new": that digest
    if stop_intent is not None and not (found.email or found.phone or found.pin):
        # "don't remind me anymore", «хватит присылать сводку»: the stopping intent of
        # the thing named, never its opposite and never the end of the session.
        return Understanding(stop_intent, {}, 1.0)
    if topics.counts_people(found.words, locale.split("-")[0]) and not reading.stops \
            and not (found.email or found.phone or found.pin) and "digest" not in reading.topics:
        # "wie viele empfehlungen habe ich", «сколько человек пришло»: who joined
        return Understanding("MyReferrals", {}, 1.0)
    asked = topics.subscription(reading)
    if asked is not None and not (found.email or found.phone or found.pin):
        if _sent_to_someone(found.words, locale.split("-")[0]) or _code_of_something_else(
                found.words, locale, "digest"):
            # "email the weekly sales report to my boss": another's report, to someone else
            return Understanding("Fallback", {}, 0.0)
        return Understanding(asked, {}, 1.0)
    scores = {intent: score for intent, score in _scores(found.words, locale).items()
              if topics.allowed(intent, reading)}
    language = locale.split("-")[0]
    recipient = _recipient(found.words, language)
    if "Yes" in scores and (_beyond_assent(found.words, locale) or recipient):
        # "great weather today", «идет дождь»: an assent word in speech about something
        # else is no yes — a yes acts, so every word of it must be one a yes uses. "send
        # it to my friend" / "send it to me" name who gets it: a request, not an answer.
        del scores["Yes"]
    content = [w for w in found.words if not w.startswith("{") and w not in FUNCTION_WORDS]
    if found.email or found.phone:
        candidates: tuple[str, ...] = CONTACT_INTENTS
    elif found.pin:
        candidates = ("ProvideCode",)
    elif found.channel and "@friend" not in _features(found.words, locale.split("-")[0]):
        # A channel and no friend: "email me my link", «скинь код в ватсап» — for me.
        candidates = tuple(i for i in lm.intents if i not in VALUE_INTENTS
                           and i != "SendInvite")
    else:
        candidates = tuple(i for i in lm.intents if i not in VALUE_INTENTS)
    best = max(candidates, key=lambda i: scores.get(i, 0.0))
    score = scores.get(best, 0.0)
    if best == "SendInvite" and scores.get("ProvideContact", 0.0) >= score - 0.01 and not (
            topics.asks_to_send(found.words, language) or _channel_as_verb(found.words, language)):
        best = "ProvideContact"  # «телефон друга …»: a contact described, nothing asked
    if best == "SendInvite" and recipient == "me" and not (found.email or found.phone):
        best = "ShareProgram"  # "send it to me", "schick es mir": the customer's own share
    if best in ("ShareProgram", "SendInvite", "MyReferrals", "RewardBalance") and \
            topics.asks_what_it_is(found.words, language) and "ExplainProgram" in scores:
        best = "ExplainProgram"  # "what is the referral program", «что получит друг»
    if best in ("ShareProgram", "SendInvite") and not (found.email or found.phone) and \
            not _names_what_is_sent(found.words, text, locale, reading):
        # "send a message to my husband": a request to send something that is not ours
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in ("ShareProgram", "SendInvite") and not (found.email or found.phone) and \
            _code_of_something_else(found.words, locale):
        # "what's the gate code", "the link to the zoom meeting", «приглашение на свадьбу»:
        # a code, link or invitation of something that is not the shop's program
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in ("SubscribeDigest", "SubscribeDigestOnNews") and (
            _sent_to_someone(found.words, language)
            or _code_of_something_else(found.words, locale, "digest")):
        # "send a weekly report to my team", "subscribe me to the guardian newsletter": the
        # digest goes to the customer and is this shop's, not another's
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in ("ShareProgram", "SendInvite") and topics.tells_it_was_sent(found.words,
                                                                          language):
        # "my friend sent me a link yesterday": told, not asked
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in ("ShareProgram", "SendInvite") and topics.redeems(
            [w for w in found.words if w not in _POLITE], language):
        # "use my friend's code on my order", "lös den code von meinem kumpel ein": the
        # friend's side (a code is typed at the shop's checkout), nothing to send
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best == "ShareProgram" and topics.asks_for_a_discount(found.words, language):
        # "give me a discount code", «дай мне скидку»: a discount for oneself is not the
        # referral code (the shop's other offers are not this skill's)
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if (found.email or found.phone or found.pin) and (not content or score < THRESHOLD):
        # The value said alone, or with words no sample explains: it is the answer.
        best = "ProvideCode" if not (found.email or found.phone) else "ProvideContact"
        score = max(score, 1.0 if not content else THRESHOLD)
    if best == "ProvideContact" and (found.email or found.phone) and (
            recipient == "friend" or topics.shares(found.words, language)
            or _sends_first(found.words, language)) and (
            topics.asks_to_send(found.words, language) or _channel_as_verb(found.words, language)):
        # "send my girlfriend the link, her number is …", «поделись с коллегой …»: a
        # request for a named person with their contact is the invite, not a bare answer
        best, score = "SendInvite", max(score, scores.get("SendInvite", 0.0), THRESHOLD)
    if best in ("Help", "WhatCanYouDo", "Repeat", "NavigateHome") and "Yes" in scores \
            and topics.strong_assent(found.words, language) and not reading.negated \
            and not _beyond_assent(found.words, locale):
        best, score = "Yes", max(scores["Yes"], THRESHOLD)  # "klar warum nicht": a yes
    if best in ("Yes", "No", "Stop", "Cancel") and topics.hesitates(found.words, language):
        # "maybe later", "vielleicht", «может быть»: no answer yet — asked again
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in ("ShareProgram", "SendInvite") and "MyReferrals" in scores and \
            topics.asks_who_joined(found.words, language) and not found.email \
            and not found.phone:
        best, score = "MyReferrals", scores["MyReferrals"]  # "who joined from my invites"
    if best == "MyReferrals" and "RewardBalance" in scores and \
            topics.names_money(found.words, language):
        best, score = "RewardBalance", scores["RewardBalance"]  # "my referral earnings"
    if best == "SetReminder" and "ListReminders" in scores and not found.weekday and \
            topics.asks_which(found.words, language):
        best, score = "ListReminders", scores["ListReminders"]  # «какие напоминания установлены»
    if best == "ListReminders" and scores.get("SetReminder", 0.0) >= 0.85 * score \
            and topics.orders_to_set(found.words, language):
        best, score = "SetReminder", scores["SetReminder"]  # "set a reminder": no question
    topical = topics.named_strongly(best, reading)
    if score < (TOPIC_THRESHOLD if topical else THRESHOLD) and not (
            found.email or found.phone or found.pin or recipient) and (
            topics.opening_answer(found.words, language) == "Yes"
            or (topics.strong_assent(found.words, language) and not reading.negated
                and not reading.refuses
                and not any(w.startswith("{") for w in found.words))) \
            and not _beyond_assent(found.words, locale):
        # "yes the number is correct", «да номер верный», "jep", «лады»: words of assent
        # and nothing else
        return Understanding("Yes", {}, THRESHOLD, _near(scores, "Yes"))
    if score < (TOPIC_THRESHOLD if topical else THRESHOLD):
        near = _near(_scores(found.words, locale, strict=False), "")
        return Understanding("Fallback", {}, round(score, 3), near)
    if best in ("ShareProgram", "SendInvite") and not (found.email or found.phone) \
            and "program_core" not in reading.topics and _unknown_word(found.words, locale):
        # "send it to the printer", «пришли мне погоду»: sharing without a word of the
        # program and with a thing no sample knows is about something else.
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in _ACTING_INTENTS and scores.get("Fallback", 0.0) >= 0.8 * score \
            and "program_core" not in reading.topics and _unknown_word(found.words, locale):
        # "delete my browsing history": a word no sample knows, and speech about other
        # things comes close — acting on it would act on a guess.
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in _PRODUCT_INTENTS | _PLAIN_BUILTINS and _foreign(found.words, locale):
        # "share this song with my sister", «дай промокод на такси», "erinnere mich an den
        # müll": a word only speech about other things uses — it is about that thing.
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    if best in _REMINDER_INTENTS and _foreign_task(found.words, reading, locale):
        # "remind me to take out the trash", «напомни позвонить маме»: a reminder about
        # something else is not this product's (it reminds to share the program).
        return Understanding("Fallback", {}, round(score, 3), _near(scores, ""))
    wanted = lm.intents[best].slots if best in lm.intents else {}
    values = {"email": found.email, "phone": found.phone, "pin": found.pin,
              "channel": found.channel, "weekday": found.weekday}
    slots = {name: value for name in wanted if (value := values.get(name))}
    if "email" in slots and "phone" in slots:
        slots.pop("phone")  # "email jo at example dot com, 555..." — the email was the ask
    return Understanding(best, slots, round(min(score, 1.0), 3), _near(scores, best))


@lru_cache(maxsize=8)
def _by_first_word(locale: str) -> dict[str, tuple[tuple[int, _Compiled], ...]]:
    """Templates by their first literal word ("" for those that start with a slot), each
    with its rank: an anchored template can only match a sentence that starts with it.
    The rank travels with the template because two threads on a cold cache may each build
    their own `_compiled` tuple; ranks taken from another tuple would not match."""
    groups: dict[str, list[tuple[int, _Compiled]]] = {}
    for rank, compiled in enumerate(_compiled(locale)):
        first = compiled.sample.split()[0] if compiled.sample.split() else ""
        groups.setdefault("" if first.startswith("{") else normalize(first).split(" ")[0],
                          []).append((rank, compiled))
    return {word: tuple(items) for word, items in groups.items()}


@lru_cache(maxsize=4096)
def _candidates(locale: str, first: str) -> tuple[_Compiled, ...]:
    groups = _by_first_word(locale)
    ranked = sorted((*groups.get(first, ()), *groups.get("", ())), key=lambda pair: pair[0])
    return tuple(compiled for _, compiled in ranked)


def _template(text: str, locale: str, region: str | None) -> Understanding | None:
    for compiled in _candidates(locale, text.split(" ", 1)[0]):
        match = compiled.regex.match(text)
        if not match:
            continue
        slots: dict[str, str] = {}
        for name, raw in match.groupdict().items():
            value = parse_slot(compiled.slot_types.get(name, ""), raw, locale, region)
            if value is None:
                break
            slots[name] = value
        else:
            found = _values(text, locale, region)
            intents = language_model.load().intents
            wanted = intents[compiled.intent].slots if compiled.intent in intents else {}
            slots = {name: value for name, value in slots.items() if name in wanted}
            values = {"channel": found.channel, "weekday": found.weekday}
            for name in wanted:  # "whatsapp me the link": the value said as a plain word
                if name not in slots and values.get(name):
                    slots[name] = str(values[name])
            return Understanding(compiled.intent, slots, 1.0,
                                 _near(_scores(found.words, locale), compiled.intent),
                                 compiled.sample)
    return None


@lru_cache(maxsize=1)
def _slot_types_by_name() -> dict[str, str]:
    """Every slot name of any intent and its type ("weekday": WEEKDAY)."""
    return {name: slot_type for intent in language_model.load().intents.values()
            for name, slot_type in intent.slots.items()}
