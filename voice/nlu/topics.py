"""What a sentence is about and which way it points, independent of the samples.

Sample overlap alone confuses intents that share their verbs ("turn off my reminders" and
"turn off the lights", "stop the digest" and "stop"), and takes a negated request for its
opposite ("i don't want the weekly report anymore" shares every content word with
SubscribeDigest). Two small rules, written once per language from how the product's topics
are named (not from any test sentence), fix both:

- An intent about a topic needs a word of that topic: nothing about reminders is a reminder
  intent, nothing about a code, link, invite or referral shares the program, a yes needs a
  word of assent. Speech about something else (the weather, the lights, a joke) then has no
  intent that can act and falls to Fallback.
- A stop word ("don't", "no more", "nicht mehr", "хватит", "отключи") with a topic names
  that topic's stopping intent.

Words are matched by prefix, so inflections count ("erinnerungen", «напоминаний»)."""

from __future__ import annotations

from dataclasses import dataclass

_TOPIC_PREFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "reminder": {
        "en": ("remind", "nudge"),
        "de": ("erinner",),
        "ru": ("напомин", "напомн", "напомина"),
    },
    "digest": {
        "en": ("digest", "summar", "report", "update", "newsletter", "recap", "roundup",
               "overview", "weekly email", "keep me posted", "keep me updated",
               "weekly {channel}", "weekly message"),
        "de": ("zusammenfass", "übersicht", "bericht", "digest", "newsletter", "update",
               "wochenbericht", "rundbrief", "resümee", "überblick", "auf dem laufenden",
               "wöchentliche {channel}", "wöchentliche nachricht"),
        "ru": ("сводк", "сводок", "дайджест", "отчет", "отчёт", "рассылк", "обзор", "итог",
               "в курсе", "подписк", "письм", "статистик"),
    },
    "data": {
        # With a word of erasing (topics.allowed): what is erased — the data, the account,
        # or the customer ("forget me", «сотри меня из базы»).
        "en": ("data", "information", "info", "details", "personal", "record", "history",
               "everything you know", "account", "profile", "database", "consent", "trace",
               "everything about me", "about me", "on me", "number", "email address",
               "address", "contact details", "phone number", "system", "stuff"),
        "de": ("daten", "information", "angaben", "konto", "persönlich", "alles was du",
               "profil", "datenbank", "einwilligung", "spuren", "alles über mich", "account",
               "über mich", "von mir", "nummer", "adresse", "e-mail", "telefonnummer",
               "kontaktdaten", "system", "info"),
        "ru": ("данны", "информаци", "сведени", "аккаунт", "учетн", "учётн", "персональн",
               "все что ты", "всё что ты", "все обо мне", "всё обо мне", "профил", "учетк",
               "учётк", "баз", "согласи", "следы", "обо мне", "про меня", "номер", "почт",
               "адрес", "телефон", "контакт", "систем", "инф"),
    },
    "program": {
        "en": ("code", "link", "invit", "refer", "program", "qr", "share", "sharing",
               "recommend", "coupon", "discount", "voucher", "promo", "@friend", "{channel}",
               "{phone}", "{email}", "spread the word",
               # "send it to me": the thing the customer is sharing, named by a pronoun
               "send it", "send this", "send that", "text it", "text this", "email it",
               "forward it", "forward this"),
        "de": ("code", "link", "einlad", "empfehl", "programm", "qr", "teil", "gutschein",
               "rabatt", "promo", "@friend", "{channel}", "{phone}", "{email}", "weitersag",
               "werb", "lade ", "lad ", "schick es", "schick das", "schick ihn", "schicke es",
               "schick mir das", "sende es", "sende das", "schick's", "leite es"),
        "ru": ("код", "ссылк", "ссылоч", "приглас", "приглаш", "рекоменд", "порекоменд",
               "реферал", "программ", "qr", "кьюар", "куар", "подели", "делить", "промокод",
               "скидк", "купон", "@friend", "{channel}", "{phone}", "{email}", "отправь это",
               "пришли это", "скинь это", "перешли это", "отправь его", "пришли его",
               "отправь мне", "пришли мне", "скинь мне"),
    },
    # The program named by its own words (not "share" or a friend, which photos and
    # messages have too): enough to accept a weaker overlap.
    "program_core": {
        "en": ("code", "link", "invit", "refer", "program", "qr", "recommend", "coupon",
               "discount", "voucher", "promo"),
        "de": ("code", "link", "einlad", "empfehl", "empfiehl", "programm", "qr", "gutschein",
               "rabatt", "promo", "lade ", "lad "),
        "ru": ("код", "ссылк", "ссылоч", "приглас", "приглаш", "рекоменд", "порекоменд",
               "реферал", "программ", "qr", "кьюар", "куар", "промокод", "скидк", "купон"),
    },
    # How the program works, the balance, the referrals: the words these questions use.
    "explain": {
        "en": ("program", "refer", "reward", "bonus", "discount", "term", "rule", "work",
               "earn", "get", "offer", "deal", "benefit", "point", "credit", "@friend",
               "invit", "code", "link", "explain", "condition", "catch", "limit", "pay",
               "worth", "cashback", "prize", "perk", "coupon", "voucher", "commission"),
        "de": ("programm", "empfehl", "prämie", "belohn", "bonus", "rabatt", "bedingung",
               "regel", "funktion", "bekomm", "krieg", "verdien", "gutschein", "angebot",
               "@friend", "lohnt", "bringt", "einlad", "code", "link", "erklär", "limit",
               "vorteil", "geld", "gibt es", "gibt's", "gibts", "prozent", "haken",
               "springt", "worum geht"),
        "ru": ("программ", "реферал", "бонус", "скидк", "наград", "вознагражд", "услови",
               "правил", "работа", "получ", "заработ", "дает", "даёт", "будет", "выгод",
               "балл", "приглаш", "приглас", "@friend", "код", "ссылк", "объясн",
               "ограничен", "лимит", "процент", "деньг", "подвох", "купон", "промокод"),
    },
    "balance": {
        "en": ("balance", "reward", "earn", "credit", "point", "money", "made", "cash",
               "have i got", "do i have", "bonus", "owed", "wallet", "voucher", "total"),
        "de": ("guthaben", "prämie", "belohn", "verdien", "punkte", "bonus", "kontostand",
               "stand", "gutschrift", "geld", "gutschein", "habe ich", "hab ich", "bekommen",
               "gesammelt", "summe"),
        "ru": ("баланс", "наград", "бонус", "заработ", "балл", "деньг", "накопил",
               "получил", "начислен", "счет", "счёт", "у меня", "вознагражд", "сколько"),
    },
    "referrals": {
        "en": ("refer", "@friend", "join", "sign", "invit", "code", "link", "use", "accept",
               "people", "anyone", "anybody", "somebody", "approv", "pending", "signup",
               "register", "bought", "order", "worked", "status"),
        "de": ("empfehl", "@friend", "angemeldet", "anmeld", "registr", "einlad", "code",
               "link", "benutzt", "genutzt", "leute", "jemand", "bestätigt", "genehmigt",
               "offen", "beigetreten", "mitgemacht", "gekauft", "bestellt", "status",
               "eingelöst"),
        "ru": ("реферал", "@friend", "присоедин", "зарегистр", "регистрац", "приглаш",
               "приглас", "код", "ссылк", "воспольз", "использ", "люд", "кто-нибудь",
               "кто-то", "одобр", "подтвержд", "ожида", "купил", "заказ", "статус",
               "пришл", "пришел", "пришёл"),
    },
}
# Words that turn a request about a topic into stopping it.
_STOP_PREFIXES: dict[str, tuple[str, ...]] = {
    "en": ("don't", "dont", "do not", "stop", "no more", "no longer", "anymore", "any more",
           "cancel", "turn off", "switch off", "shut off", "unsubscribe", "opt out",
           "remove", "delete", "end my", "disable", "quit", "get rid", "enough",
           "not want", "not need", "no longer", "opt me out", "take me off", "kill",
           "end the", "unsub", "pause", "mute", "halt", "scrap", "ditch", "drop the",
           "drop my", "deactivat"),
    "de": ("kein", "nicht mehr", "stopp", "stop", "aufhör", "hör auf", "hör mit", "abbestell",
           "abmeld", "melde mich ab", "meld mich ab", "ausschalt", "abschalt", "schalte ab",
           "schalt ab", "schalte aus", "schalt aus", "beend", "lösch", "entfern",
           "deaktivier", "abstell", "stell ab", "genug", "nicht länger", "lass die",
           "kündig", "will nicht", "möchte nicht", "brauche nicht", "brauch nicht"),
    "ru": ("не ", "хватит", "переста", "прекрат", "отключ", "выключ", "отпиш", "отпис",
           "отмен", "без ", "никаких",
           "останов", "стопни", "заверши",
           "убер", "убрать", "удал", "больше не", "стоп", "не надо", "не нужн", "не хочу",
           "достал", "надоел", "откажи", "отказ", "сотри"),
}
# Words of erasing: asking to erase names it ("delete", "vergiss mich", «сотри»); a question
# about the data ("where does my data go", «куда уходят мои данные») erases nothing.
_ERASE_PREFIXES: dict[str, tuple[str, ...]] = {
    "en": ("delet", "eras", "remov", "forget", "wipe", "clear", "destroy", "purge",
           "get rid", "close my account", "deactivat", "scrub", "gdpr", "withdraw", "revok"),
    "de": ("lösch", "entfern", "vergiss", "vergess", "tilg", "weg", "vernicht", "kündig",
           "schließ", "deaktivier", "dsgvo", "widerruf", "zurückzieh", "zieh"),
    "ru": ("удал", "сотр", "стер", "стир", "забуд", "забыть", "забудь", "забыл", "очист",
           "почист", "вычист", "уничтож", "убер", "убрать", "закр", "снес", "снест", "отзыв",
           "отозв"),
}
# "forget it", "vergiss es", «забудь об этом»: cancelling the current thing, erasing nothing.
_FORGET_IT = {"en": ("forget it", "forget about it", "forget that"),
              "de": ("vergiss es", "vergiss das", "vergiss einfach", "vergessen sie es"),
              "ru": ("забудь об этом", "забудь это", "забей", "забудьте об этом")}
_ME_OBJECT = {"en": ("me", "myself"), "de": ("mich",), "ru": ("меня",)}


def _erases_the_customer(words: list[str], language: str) -> bool:
    """Is the customer the thing erased: a word of erasing, then "me" within two words
    ("forget me", "delete me from your list", "lösch mich", «удали меня»)?"""
    me = _ME_OBJECT.get(language, ())
    for n, word in enumerate(words):
        if any(word.startswith(p) for p in _ERASE_PREFIXES.get(language, ())
               if " " not in p) and any(w in me for w in words[n + 1:n + 3]):
            return True
    return False


# Words of assent and refusal: a Yes or a No must contain one.
_YES_WORDS = {
    "en": {"yes", "yeah", "yep", "yup", "yea", "ya", "sure", "ok", "okay", "correct", "right",
           "absolutely", "definitely", "certainly", "affirmative", "send", "fine", "alright",
           "exactly", "course", "confirm", "confirmed", "uh-huh", "sounds", "perfect",
           "great", "works", "please"},
    "de": {"ja", "jawohl", "jo", "jup", "genau", "richtig", "klar", "sicher", "gerne", "gern",
           "natürlich", "okay", "ok", "schick", "schicke", "sende", "senden", "stimmt",
           "korrekt", "einverstanden", "passt", "selbstverständlich", "freilich",
           "bestätige", "logo", "absolut", "unbedingt", "jep", "klingt", "super", "prima",
           "ruhig", "los", "hört"},
    "ru": {"да", "давай", "давайте", "верно", "отправляй", "отправляйте", "отправь",
           "правильно", "ладно", "угу", "ага", "окей", "ок", "согласен", "согласна",
           "конечно", "хорошо", "разумеется", "точно", "именно", "подтверждаю",
           "годится", "валяй", "естественно", "безусловно", "отлично", "да-да", "шли",
           "норм", "нормально", "идет", "пойдет", "супер", "отправляем", "присылай"},
}
_NO_WORDS = {
    "en": {"no", "nope", "nah", "not", "don't", "wrong", "incorrect", "never", "negative"},
    "de": {"nein", "nö", "nee", "ne", "nicht", "falsch", "lieber", "niemals", "keinesfalls"},
    "ru": {"нет", "неа", "не", "неверно", "неправильно", "никак", "ни"},
}
# Negation: a sentence with one of these (or an English "...n't") is never a yes, whatever
# assent word it also has ("dont send it", "sure but not that one", "ja aber nicht senden",
# «да не отправляй»). Only a whole word counts («неделю» is no «не»).
_NEGATIONS = {
    "en": {"no", "not", "never", "nope", "nah", "nothing", "none", "neither", "nor",
           "dont", "didnt", "doesnt", "cant", "wont", "isnt", "without"},
    "de": {"nein", "nicht", "nichts", "nie", "niemals", "nö", "nee", "kein", "keine",
           "keinen", "keinem", "keiner", "keines", "keinesfalls", "keineswegs", "ohne"},
    "ru": {"не", "нет", "ни", "неа", "никогда", "ничего", "нельзя", "незачем", "ненадо",
           "нинада", "низачто"},
}
# Phrases with a negation that agree or ask ("sure why not", «почему бы и нет», "no
# problem"): not a negation. They are no assent by themselves either, so alone they are
# asked again at a yes/no question, never taken as a yes by this exception.
_AGREEING_NEGATIONS = {
    "en": ("why not", "no problem", "not a problem", "no worries", "no doubt",
           "why don't you", "can't you", "won't you", "couldn't you", "wouldn't you",
           "don't forget", "don't mind", "not at all"),
    "de": ("warum nicht", "wieso nicht", "weshalb nicht", "kein problem", "nichts dagegen",
           "keine frage", "nicht schlecht", "auf jeden fall"),
    "ru": ("почему бы и нет", "почему бы нет", "почему нет", "нет проблем", "не вопрос",
           "не против", "не возражаю", "без проблем", "ничего себе"),
}
# Phrases with a negation that only cancel: a cancel said this way stays a cancel.
_CANCELLING_NEGATIONS = {"en": ("never mind", "nevermind", "no matter"),
                         "de": ("schon gut", "vergiss es"),
                         "ru": ("ничего страшного", "неважно", "не важно")}
# Each topical intent and the topic it needs.
INTENT_TOPICS = {
    "SetReminder": "reminder", "StopReminders": "reminder", "ListReminders": "reminder",
    "SubscribeDigest": "digest", "SubscribeDigestOnNews": "digest", "StopDigest": "digest",
    "DeleteMyData": "data", "ShareProgram": "program", "SendInvite": "program",
    "ExplainProgram": "explain", "RewardBalance": "balance", "MyReferrals": "referrals",
}
# The topic that lets an intent pass with a weaker overlap (voice.nlu.understanding).
CORE_TOPIC = {"program": "program_core"}
STOPPING_INTENT = {"reminder": "StopReminders", "digest": "StopDigest"}


# "only when something happens": the digest on news; "every week ... who joined": the
# digest. Phrases, per language.
_ONLY_WHEN = {"en": ("only when", "only if", "just when", "only in weeks", "unless",
                     "except when", "as long as"),
              "de": ("nur wenn", "nur falls", "nur bei", "nur dann", "außer wenn", "es sei denn",
                     "ausser wenn"),
              "ru": ("только когда", "только если", "лишь когда", "только при", "если только",
                     "кроме случаев", "разве что")}
_NEWS = {"en": ("news", "new", "happen", "change", "join", "sign", "buy", "bought", "use",
                "register", "earn", "important", "something", "anything"),
         "de": ("neuigkeit", "neu", "passiert", "tut", "ändert", "anmeld", "beitr", "kauf",
                "nutz", "registr", "wichtig", "etwas", "was los"),
         "ru": ("новост", "нов", "происход", "случит", "произош", "измен", "присоедин",
                "зарегистр", "регистрац", "появ", "прид", "пришел", "пришёл", "купит", "купят",
                "воспольз", "важн", "по делу")}
_EVERY_WEEK = {"en": ("every week", "each week", "weekly", "once a week"),
               "de": ("jede woche", "jeder woche", "wöchentlich", "einmal die woche"),
               "ru": ("каждую неделю", "раз в неделю", "еженедельн")}


@dataclass(frozen=True)
class Reading:
    """The topics a sentence names and whether it asks to stop something."""

    topics: frozenset[str]
    stops: bool
    assents: bool
    refuses: bool
    only_when: bool = False  # "only when something happens"
    news: bool = False
    every_week: bool = False
    negated: bool = False  # "dont", "not", "nicht", «не»: never a yes
    erases: bool = False  # "delete", "lösch", «удали»


def _has(words: list[str], text: str, prefixes: tuple[str, ...], language: str) -> bool:
    """A phrase (with a space) anywhere; a single stem at a word's start, or anywhere in
    a German word (compounds: "weiterempfehlen", "empfehlungsprogramm")."""
    for prefix in prefixes:
        if " " in prefix.strip() or prefix.endswith(" "):
            if f" {prefix}" in f" {text} ":
                return True
        elif any(w.startswith(prefix) or (language == "de" and len(prefix) > 3
                                           and prefix in w) for w in words):
            return True
    return False


def read(words: list[str], language: str) -> Reading:
    """`words`: the normalized sentence with values replaced by {phone}, {email}, {pin},
    {channel} and relatives by @friend (as the scorer sees it)."""
    text = " ".join(words)
    topics = frozenset(topic for topic, by_language in _TOPIC_PREFIXES.items()
                       if _has(words, text, by_language.get(language, ()), language))
    stops = _has(words, text, _STOP_PREFIXES.get(language, ()), language) or (
        language == "de" and _separated_stop(words)) or (
        language == "en" and _separated_off(words))
    erases = _has(words, text, _ERASE_PREFIXES.get(language, ()), language) and not any(
        f" {p} " in f" {text} " for p in _CANCELLING_NEGATIONS.get(language, ())
        + _FORGET_IT.get(language, ()))
    if erases and _erases_the_customer(words, language):
        topics = topics | {"data"}  # "forget me", "vergiss mich", «сотри меня»
    plain = {w.strip("'") for w in words}
    assents = bool(plain & _YES_WORDS.get(language, set()))
    negation = is_negated(words, language)
    refuses = bool({w.strip("'") for w in _without_agreeing(words, language)}
                   & _NO_WORDS.get(language, set()))
    return Reading(topics, stops, assents, refuses,
                   _has(words, text, _ONLY_WHEN.get(language, ()), language)
                   or _only_then_when(words, language),
                   _has(words, text, _NEWS.get(language, ()), language),
                   any(f" {p}" in f" {text}" for p in _EVERY_WEEK.get(language, ())),
                   negation, erases)


# German separable verbs of stopping: "schalte die wöchentliche mail aus", "bestell den
# bericht ab", "mach die erinnerungen aus", "meld mich vom newsletter ab".
_SEPARABLE_STOP_VERBS = ("schalt", "stell", "mach", "bestell", "meld", "dreh")


def _separated_stop(words: list[str]) -> bool:
    return len(words) >= 3 and words[-1] in ("aus", "ab") and any(
        w.startswith(_SEPARABLE_STOP_VERBS) for w in words[:-1])


def _separated_off(words: list[str]) -> bool:
    """"turn the weekly summary off", "switch my reminders off": an English verb of
    stopping with its particle at the end."""
    return len(words) >= 3 and words[-1] == "off" and words[0] in (
        "turn", "switch", "shut", "cut", "take", "turned", "switched")


# "only send it when …", "schick sie nur dann, wenn …", «присылай только тогда, когда …»
_ONLY = {"en": ("only", "just"), "de": ("nur", "bloß", "bloss", "lediglich"),
         "ru": ("только", "лишь")}
_WHEN = {"en": ("when", "if", "once", "whenever"), "de": ("wenn", "falls", "sobald"),
         "ru": ("когда", "если")}


def _only_then_when(words: list[str], language: str) -> bool:
    """"only … when", or "only" before a word of news ("only the ones with something new",
    «только с новостями»)."""
    only = [n for n, w in enumerate(words) if w in _ONLY.get(language, ())]
    when = [n for n, w in enumerate(words) if w in _WHEN.get(language, ())]
    if only and when and only[0] < when[-1] and when[-1] - only[0] <= 5:
        return True
    rest = words[only[0] + 1:] if only else []
    return bool(rest) and _has(rest, " ".join(rest), _NEWS.get(language, ()), language)


def is_negated(words: list[str], language: str, cancelling: bool = False) -> bool:
    """Does the sentence negate (a "no", "not", "...n't", "nicht", «не» outside a phrase
    that agrees, such as "why not")? `words`: normalized, apostrophes kept. `cancelling`:
    also leave out the phrases that only cancel ("never mind")."""
    negations = _NEGATIONS.get(language, set())
    return any(w in negations or (language == "en" and w.endswith("n't"))
               for w in _without_agreeing(words, language, cancelling))


_HESITATIONS = {"en": frozenset({"maybe", "perhaps", "possibly", "dunno", "unsure"}),
                "de": frozenset({"vielleicht", "eventuell", "möglicherweise"}),
                "ru": frozenset({"может", "возможно", "наверное", "наверно"})}
_HESITATING_PHRASES = {
    "en": ("don't know", "dont know", "not sure", "let me think", "hold on", "need to think",
           "have to think", "no idea", "give me a second", "give me a sec", "good question"),
    "de": ("weiß nicht", "weiss nicht", "keine ahnung", "moment mal", "überlegen", "überleg",
           "nicht sicher", "gute frage", "warte kurz", "einen moment"),
    "ru": ("не знаю", "дай подумать", "надо подумать", "подумаю", "подожди", "погоди",
           "секунду", "не уверен", "хороший вопрос", "без понятия")}
# Words that open a question ("do i have …", "welche …", «какие …»).
_QUESTION_OPENERS = {
    "en": frozenset({"do", "did", "does", "is", "are", "was", "what", "what's", "which", "how",
                     "any", "have", "has", "when", "where", "who", "can", "could", "whats"}),
    "de": frozenset({"habe", "hab", "hast", "welche", "welcher", "was", "wann", "gibt", "sind",
                     "ist", "wie", "wo", "haben", "läuft", "laufen"}),
    "ru": frozenset({"какие", "какое", "какая", "что", "есть", "когда", "сколько", "где",
                     "стоит", "стоят", "а", "ли"})}


def hesitates(words: list[str], language: str) -> bool:
    """Does the answer hesitate ("maybe later", "ich weiß nicht", «не знаю», "let me think")?
    ("i don't think so" is a no, not a hesitation.)"""
    text = f" {' '.join(words)} "
    return bool(set(words) & _HESITATIONS.get(language, frozenset())) or any(
        f" {phrase} " in text or f" {phrase}" in text
        for phrase in _HESITATING_PHRASES.get(language, ()))


_ASKS_WHICH = {"en": ("what", "which", "what's", "whats", "do i have", "have i", "are there",
                      "is there", "any ", "when", "did i", "have you", "did you"),
               "de": ("welche", "was ", "wann", "habe ich", "hab ich", "gibt es", "sind da",
                      "ist da"),
               "ru": ("какие", "какое", "какая", "когда", "есть ли", "у меня есть", "что за")}


def asks_which(words: list[str], language: str) -> bool:
    """Does the sentence ask which or whether there are ("what reminders do i have",
    «какие напоминания установлены») — not "can you remind me"?"""
    return _opens_with(words, _ASKS_WHICH.get(language, ()))


def _opens_with(words: list[str], phrases: tuple[str, ...]) -> bool:
    """Does the sentence begin with one of `phrases` (whole words)?"""
    text = f"{' '.join(words)} "
    return any(text.startswith(p if p.endswith(" ") else f"{p} ") for p in phrases)


def asks(words: list[str], language: str) -> bool:
    """Does the sentence open as a question ("do i have a reminder", «какие у меня …»)?"""
    return bool(words) and words[0] in _QUESTION_OPENERS.get(language, frozenset())


_SETTING_VERBS = {"en": ("set", "add", "create", "make", "schedule", "put", "give me"),
                  "de": ("stell", "erstell", "leg", "mach", "richte", "richt", "setz", "trag"),
                  "ru": ("постав", "созда", "сдела", "добав", "установ", "настро", "завед")}


def orders_to_set(words: list[str], language: str) -> bool:
    """Does the sentence open with a verb of setting something up ("set a reminder",
    "stell eine erinnerung", «поставь напоминание»)?"""
    rest = [w for w in words if w not in ("please", "bitte", "пожалуйста", "just", "mal")]
    return bool(rest) and not asks(rest, language) and any(
        " ".join(rest).startswith(verb) for verb in _SETTING_VERBS.get(language, ()))


def without_agreeing(words: list[str], language: str) -> list[str]:
    """`words` without the phrases that agree through a negation ("why not")."""
    return _without_agreeing(words, language)


def _without_agreeing(words: list[str], language: str, cancelling: bool = False) -> list[str]:
    text = f" {' '.join(words)} "
    phrases = _AGREEING_NEGATIONS.get(language, ())
    if cancelling:
        phrases = (*phrases, *_CANCELLING_NEGATIONS.get(language, ()))
    for phrase in phrases:
        text = text.replace(f" {phrase} ", " ")
    return text.split()


# Verbs of sharing the program (a reminder "to share" is this product's reminder).
_SHARE_VERBS = {"en": ("share", "sharing", "spread", "invit", "tell my", "tell people", "refer"),
                "de": ("teil", "weitersag", "weiterempfehl", "einlad", "werb", "lade ", "lad "),
                "ru": ("подели", "делить", "приглас", "приглаш", "рассказ", "отправ", "позов",
                       "позв", "порекоменд", "рекоменд")}


def assents(words: list[str], language: str) -> bool:
    """Is one of `words` a word of assent ("yes", "klar", «давай»)?"""
    return bool({w.strip("'") for w in words} & _YES_WORDS.get(language, set()))


def names_reminder(words: list[str], language: str) -> bool:
    """Is one of `words` a reminder word ("remind", "erinnerung", «напоминание»)?"""
    return _has(words, " ".join(words), _TOPIC_PREFIXES["reminder"].get(language, ()),
                language)


_SEND_VERBS = {"en": ("send", "text", "email", "mail", "give", "forward", "pass"),
               "de": ("schick", "send", "gib", "geb", "leite", "mail", "schreib"),
               "ru": ("отправ", "пришл", "скин", "перешл", "шли", "дай", "напиш")}


def asks_to_send(words: list[str], language: str) -> bool:
    """Does the sentence ask to send or share something ("send my sister…", «скинь маме…»)?"""
    return shares(words, language) or any(
        w.startswith(_SEND_VERBS.get(language, ())) for w in words)


# Questions about what a thing is or how it works ("what is the referral program", "wie
# funktioniert der code", «что такое рефералка»): they ask for the terms, not the code.
_WHAT_IT_IS = {"en": ("what is a", "what is the", "what is this", "what's a", "what's the deal",
                      "what's this", "how does", "how do referrals", "how do the", "what are the",
                      "explain", "tell me about", "how it works", "what exactly is",
                      "what does my friend get", "what do i get", "what does a friend get",
                      "what happens", "what would", "is there a limit", "how long is",
                      "how much does my friend", "what's in it for", "what happens next",
                      "what then", "limit", "maximum"),
               "de": ("was ist", "was sind", "wie funktioniert", "wie läuft", "worum geht",
                      "erklär", "was hat es mit", "wie geht das mit", "was bekommt", "was kriegt",
                      "was bekomme ich", "was krieg ich", "was passiert", "gibt es eine grenze",
                      "gibt es ein limit", "wie lange gilt", "was bringt", "was dann",
                      "und dann", "grenze", "limit", "maximal"),
               "ru": ("что такое", "что за", "как работает", "как устроен", "как участв",
                      "объясни", "расскажи про", "расскажи о", "в чем суть", "в чём суть",
                      "что получит", "что получу", "что я получу", "что будет", "что даст",
                      "есть ли лимит", "есть ли ограничен", "сколько действует",
                      "что дальше", "а дальше", "ограничение", "лимит", "максимум",
                      "рассказать про", "рассказать о", "рассказать об")}


def asks_what_it_is(words: list[str], language: str) -> bool:
    """Does the sentence ask what the program (or its code) is or how it works?"""
    text = f" {' '.join(words)} "
    return any(f" {phrase} " in text and not _possessive_after(text, phrase, language)
               for phrase in _WHAT_IT_IS.get(language, ()))


_POSSESSIVES = {"en": ("my", "mine"), "de": ("mein", "meine", "meinen", "meinem", "meiner"),
                "ru": ("мой", "моя", "мою", "мои", "моего", "у меня")}


def _possessive_after(text: str, phrase: str, language: str) -> bool:
    """"what is my balance", "was ist mein guthaben": asking for a value, not what it is."""
    rest = text.split(f" {phrase} ", 1)[1]
    return any(rest.startswith(f"{p} ") for p in _POSSESSIVES.get(language, ()))


# The program named by its own words (a referral, an invite, a link, sharing) — not only by a
# discount, a coupon or a code, which every shop and service has.
_REFERRAL_WORDS = {"en": ("refer", "invit", "link", "share", "sharing", "program", "qr", "@friend",
                          "spread", "recommend", "{channel}"),
                   "de": ("empfehl", "einlad", "link", "teil", "programm", "qr", "@friend", "werb",
                          "weitersag", "lad ", "lade ", "{channel}"),
                   "ru": ("приглас", "приглаш", "реферал", "ссылк", "ссылоч", "подели", "программ",
                          "qr", "кьюар", "@friend", "рекоменд", "{channel}")}
_ANY = {"en": frozenset({"a", "an", "any", "some", "another"}),
        "de": frozenset({"ein", "einen", "eine", "einem", "irgendeinen", "irgendeine", "paar"}),
        "ru": frozenset({"какой-нибудь", "какую-нибудь", "какие-нибудь", "любой", "любую"})}
_DISCOUNT = {"en": ("discount", "coupon", "deal", "sale"), "de": ("rabatt", "gutschein", "angebot"),
             "ru": ("скидк", "скидочк", "купон", "акци")}
_CODE = {"en": ("code",), "de": ("code",), "ru": ("код",)}


def asks_for_a_discount(words: list[str], language: str) -> bool:
    """Does the sentence ask for a discount or a code in general ("give me a discount code",
    "gib mir einen rabattcode", «дай мне скидку») without a word of the referral program? That
    is no request for the customer's own referral code."""
    text = " ".join(words)
    if _has(words, text, _REFERRAL_WORDS.get(language, ()), language):
        return False
    discount = _has(words, text, _DISCOUNT.get(language, ()), language)
    code_at = [n for n, w in enumerate(words)
               if any(c in w for c in _CODE.get(language, ())) or (discount and any(
                   w.startswith(d) for d in _DISCOUNT.get(language, ())))]
    indefinite = any((n and words[n - 1] in _ANY.get(language, frozenset()))
                     or (n > 1 and words[n - 2] in _ANY.get(language, frozenset()))
                     for n in code_at)
    named_code = _has(words, text, _CODE.get(language, ()), language)
    return indefinite or (discount and not named_code)


_REDEEM = {"en": ("redeem", "apply", "open", "scan", "click", "tap", "follow"),
           "de": ("einlös", "lös", "anwend", "einsetz", "öffne", "scann", "klick",
                  "tipp"),
           "ru": ("примени", "применить", "активир", "введи", "ввести", "погаси", "открой",
                  "открыть", "отсканир", "сканир", "нажми", "перейди")}


def redeems(words: list[str], language: str) -> bool:
    """Does the sentence open by asking to redeem, apply, open or scan a code or link
    ("redeem my friend's code", "lös den code ein", «открой ссылку»)? That is the friend's
    side. ("send me the qr code so people can scan it" only says what it is for.)"""
    return bool(words) and words[0].startswith(_REDEEM.get(language, ()))


_WHO_JOINED = {"en": ("who ", "how many", "did anyone", "did anybody", "has anyone"),
               "de": ("wer ", "wie viele", "wieviele", "hat jemand", "haben sich"),
               "ru": ("кто ", "сколько", "кто-нибудь", "кто-то")}
_JOINED = {"en": ("join", "sign", "regist", "use", "used", "bought", "order", "accept"),
           "de": ("angemeldet", "anmeld", "registr", "beigetreten", "genutzt", "benutzt",
                  "gekauft", "bestellt", "eingelöst", "mitgemacht"),
           "ru": ("присоедин", "зарегистр", "регистр", "воспольз", "использ", "купил", "заказал",
                  "пришл", "пришел", "пришёл", "зарегал", "переш", "кликнул", "нажал", "открыл")}


def asks_who_joined(words: list[str], language: str) -> bool:
    """Does the sentence ask who or how many joined ("who joined from my invites",
    «кто пришёл по моей ссылке»)?"""
    return _opens_with(words, _WHO_JOINED.get(language, ())) and any(
        w.startswith(_JOINED.get(language, ())) for w in words)


_MONEY = {"en": ("earn", "money", "credit", "point", "reward", "cash", "balance", "dollar",
                 "bonus", "payout"),
          "de": ("verdien", "geld", "guthaben", "punkte", "prämie", "belohn", "euro", "bonus",
                 "gutschrift", "kontostand"),
          "ru": ("заработ", "деньг", "денег", "баланс", "балл", "бонус", "рубл", "наград",
                 "начисл", "кэшбэк", "бабл")}


def names_money(words: list[str], language: str) -> bool:
    """Does the sentence name money or points ("earnings", «баллы», "guthaben")?"""
    return any(w.startswith(_MONEY.get(language, ())) for w in words)


# Sending told as done ("my friend sent me a link", «подруга прислала ссылку», "hat mir den
# code geschickt"): a statement, not a request — unless a request to send is also made.
_SENT = {"en": ("sent", "texted", "emailed", "gave", "shared", "forwarded"),
         "de": ("geschickt", "gesendet", "geschrieben", "gegeben", "geteilt", "weitergeleitet",
                "schickte"),
         "ru": ("прислал", "отправил", "скинул", "переслал", "дал", "поделил", "кинул")}
# Russian puts a request's verb in the past after «чтобы» ("скажи, чтобы прислал мне код").
_SO_THAT = frozenset({"чтобы", "чтоб"})


def tells_it_was_sent(words: list[str], language: str) -> bool:
    """Is sending told as past and nothing asked to be sent now?"""
    forms = _SENT.get(language, ())
    past = [w for w in words if w in forms or (language == "ru" and w.startswith(forms))]
    rest = [w for w in words if w not in past]
    # «…чтобы прислал мне код» reaches here as «прислал мне код» (the invocation is dropped)
    opens_with_it = language == "ru" and bool(words) and words[0] in past
    return bool(past) and not asks_to_send(rest, language) and not _SO_THAT & set(words) \
        and not opens_with_it


# What is sent, said by a pronoun ("send it to my brother", "schick es mir", «скинь это»).
IT = {"en": frozenset({"it", "this", "that", "them", "everything"}),
      "de": frozenset({"es", "das", "ihn", "alles", "dies"}),
      "ru": frozenset({"это", "его", "её", "ее", "их", "всё", "все"})}


# A message of one's own ("send a message to …", «напиши сообщение …»), not a channel.
MESSAGE_WORDS = frozenset({"message", "messages", "note", "nachricht", "nachrichten",
                           "сообщение", "сообщения", "сообщеньку", "смс-ку"})


def names_program(word: str, language: str) -> bool:
    """Is the word one of the program's own (a code, a link, an invitation, a referral)?"""
    return names_topic(word, "program_core", language)


def names_topic(word: str, topic: str, language: str) -> bool:
    """Is the word one of the topic's own ("code" for the program, "newsletter" for the
    digest)?"""
    return _has([word], word, _TOPIC_PREFIXES[topic].get(language, ()), language)


def shares(words: list[str], language: str) -> bool:
    """Does the sentence name sharing the program ("share", "teilen", «поделиться»)?"""
    return _has(words, " ".join(words), _SHARE_VERBS.get(language, ()), language)


# "how many friends joined", "wie viele leute", «сколько человек»: a count of people is a
# question about referrals, not about the balance — unless money is named or it asks what
# is allowed ("how many friends can i invite" is about the program's terms).
_HOW_MANY = {"en": ("how many", "number of"), "de": ("wie viele", "wieviele", "anzahl"),
             "ru": ("сколько",)}
_PEOPLE = {"en": ("friend", "people", "person", "referral", "signup", "sign up", "anyone",
                  "user", "customer"),
           "de": ("freund", "leute", "menschen", "person", "empfehlung", "anmeldung",
                  "kunde", "nutzer"),
           "ru": ("друз", "друг", "человек", "люд", "реферал", "регистрац", "клиент",
                  "пользовател")}
_MONEY_OR_RULES = {"en": ("money", "credit", "point", "reward", "dollar", "euro", "cash",
                          "can ", "may ", "allowed", "limit", "max", "earn", "get ", "make",
                          "paid", "pay"),
                   "de": ("geld", "guthaben", "punkte", "prämie", "euro", "bonus", "darf",
                          "kann", "erlaubt", "maximal", "limit", "höchstens", "bekomm",
                          "verdien", "krieg"),
                   "ru": ("деньг", "денег", "бонус", "балл", "рубл", "наград", "можно",
                          "могу", "лимит", "максимум", "получ", "заработ", "плат", "стоит")}


def counts_people(words: list[str], language: str) -> bool:
    """Does the sentence ask how many people joined ("wie viele empfehlungen habe ich")?"""
    text = " ".join(words)
    return (_has(words, text, _HOW_MANY.get(language, ()), language)
            and _has(words, text, _PEOPLE.get(language, ()), language)
            and not _has(words, text + " ", _MONEY_OR_RULES.get(language, ()), language))


def subscription(reading: Reading) -> str | None:
    """The digest a sentence asks for without naming it: "only when a friend joins" is the
    digest on news, "every week tell me who joined" the weekly digest."""
    if "reminder" in reading.topics:
        return None
    if reading.only_when and reading.news and "digest" in reading.topics:
        return "SubscribeDigestOnNews"  # "no empty reports, only when there's news"
    if reading.stops:
        return None
    if reading.only_when and (reading.news or "digest" in reading.topics):
        return "SubscribeDigestOnNews"
    if reading.every_week and ("digest" in reading.topics or reading.news or (
            reading.topics & {"referrals", "balance"} and "program_core" not in reading.topics)):
        return "SubscribeDigest"
    return None


def allowed(intent: str, reading: Reading) -> bool:
    """May the sentence read this way be `intent`? A topical intent needs its topic, a yes
    a word of assent (and no refusal), a no a word of refusal."""
    topic = INTENT_TOPICS.get(intent)
    if topic is not None and topic not in reading.topics:
        return False
    if intent in ("SetReminder", "SubscribeDigest", "SubscribeDigestOnNews") and reading.stops:
        return False  # "don't remind me", "no more digests": never their opposite
    if intent in ("StopDigest", "StopReminders") and not reading.stops:
        return False  # "wochenzusammenfassung einschalten": no word of stopping, no stop
    if intent == "LinkAccount" and (reading.erases or reading.stops):
        return False  # "delete my profile", «удали мой профиль»: no link is made by erasing
    if intent == "DeleteMyData" and not reading.erases:
        return False  # "where does my data go": a question about the data erases nothing
    if intent == "Yes":
        return reading.assents and not reading.refuses and not reading.negated
    if intent == "No":
        return reading.refuses
    return True


def named_strongly(intent: str, reading: Reading) -> bool:
    """Does the sentence name the intent's topic by a word of its own?"""
    topic = INTENT_TOPICS.get(intent)
    return topic is not None and CORE_TOPIC.get(topic, topic) in reading.topics


def stopping(reading: Reading) -> str | None:
    """The stopping intent a negated request names ("no more digests" -> StopDigest)."""
    if not reading.stops:
        return None
    named = [STOPPING_INTENT[t] for t in ("reminder", "digest") if t in reading.topics]
    return named[0] if len(named) == 1 else None


# The words that open a clear answer to a yes/no question ("ja ich bin sicher", "no i
# changed my mind"): the answer's first word decides when the rest is not understood.
_OPENING_YES = {"en": {"yes", "yeah", "yep", "yup", "sure", "absolutely", "definitely",
                       "certainly", "correct", "affirmative", "exactly", "yea"},
                "de": {"ja", "jawohl", "jup", "jep", "klar", "genau", "sicher", "natürlich",
                       "selbstverständlich", "richtig", "korrekt", "absolut", "exakt",
                       "freilich"},
                "ru": {"да", "конечно", "разумеется", "верно", "точно", "безусловно",
                       "подтверждаю", "именно", "естественно", "угу", "ага"}}


def strong_assent(words: list[str], language: str) -> bool:
    """Has the sentence a clear word of assent ("yes", "klar", «конечно»), not "ok"?"""
    return bool(set(_without_agreeing(words, language)) & _OPENING_YES.get(language, set()))
_OPENING_NO = {"en": {"no", "nope", "nah"}, "de": {"nein", "nö", "nee"},
               "ru": {"нет", "неа"}}


def opening_answer(words: list[str], language: str) -> str | None:
    """"Yes" or "No" when the sentence opens with a clear one and does not contradict it."""
    if not words:
        return None
    reading = read(words, language)
    if words[0] in _OPENING_NO.get(language, set()) and reading.negated:
        return "No"
    if words[0] in _OPENING_YES.get(language, set()) and not reading.negated:
        return "Yes"
    return None
