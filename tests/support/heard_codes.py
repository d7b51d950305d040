"""How friends write down a code they heard: a generated set of first names (English and
Russian) and, per code, the spellings a person plausibly types after hearing "Alex,
455 839" or «Ксения, 455 839». Used to measure resolution (tests/test_code_resolution.py)."""

from __future__ import annotations

import random
import re

from core import codes, names

_ENGLISH_TEXT = """Alex Anna Emma Olivia Liam Noah James Sophia Mia Isabella Ava Lucas Mason Ethan
Logan Jacob Jackson Aiden Harper Evelyn Abigail Emily Ella Scarlett Grace Chloe Victoria
Riley Aria Lily Aubrey Zoey Penelope Layla Nora Hannah Hazel Ellie Stella Violet Aurora
Savannah Audrey Brooklyn Bella Claire Skylar Lucy Paisley Everly Caroline Nova Genesis
Emilia Kennedy Maya Willow Kinsley Naomi Aaliyah Elena Sarah Ariana Allison Gabriella
Alice Madelyn Cora Ruby Eva Serenity Autumn Adeline Hailey Gianna Valentina Isla Eliana
Quinn Nevaeh Ivy Sadie Piper Lydia Alexa Josephine Emery Julia Delilah Arianna Vivian
Kaylee Sophie Brielle Madeline Michael Daniel Matthew Henry Joseph Samuel David Carter
Wyatt John Owen Dylan Luke Gabriel Anthony Isaac Grayson Jack Julian Levi Christopher
Joshua Andrew Lincoln Mateo Ryan Jaxon Nathan Aaron Isaiah Thomas Charles Caleb Josiah
Christian Hunter Eli Jonathan Connor Landon Adrian Asher Cameron Leo Theodore Jeremiah
Hudson Robert Easton Nolan Nicholas Ezra Colton Angel Brayden Jordan Dominic Austin Ian
Adam Elias Jaxson Greyson Jose Ezekiel Carson Evan Maverick Bryson Jace Cooper Xavier
Parker Roman Jason Santiago Chase Sawyer Gavin Leonardo Kayden Ayden Jameson Kevin Bentley
Zachary Everett Axel Tyler Micah Vincent Weston Miles Wesley Nathaniel Harrison Brandon
Cole Declan Luis Braxton Damian Silas Tristan Ryder Bennett George Emmett Justin Kai Max
Diego Luca Ryker Carlos Maxwell Kingston Ivan Maddox Juan Ashton Jayce Rowan Kaiden
Giovanni Eric Jesus Calvin Abel King Camden Amir Blake Alex Brody Malachi Emmanuel Jonah
Beau Jude Antonio Alan Elliott Elliot Waylon Xander Timothy Victor Bryce Finn Brantley
Edward Abraham Patrick Grant Karter Hayden Richard Miguel Joel Gael Tucker Rhett Avery
Steven Graham Kaleb Jasper Jesse Matteo Dean Zayden Preston August Oscar Jeremy Alejandro
Marcus Dawson Lorenzo Messiah Zion Maximus River Zane Mark Brooks Nicolas Paxton Judah
Emiliano Kaden Bryan Kyle Myles Peter Charlie Kyrie Thiago Brian Kenneth Andres Lukas
Aidan Jax Caden Milo Paul Beckett Brady Colin Omar Bradley Javier Knox Jaden Barrett
Israel Matias Jorge Zander Derek Josue Cayden Holden Griffin Arthur Leon Felix Remington
Jake Killian Clayton Sean Adriel Riley Archer Legend Erick Enzo Corbin Francisco Dallas
Emilio Gunner Simon Andre Walter Damien Chance Phoenix Colt Tanner Stephen Kameron Tobias
Manuel Amari Emerson Zayn Cash Donovan Grady Zoe Kate Mike Jane Chris Nick Tom Dave"""
ENGLISH = _ENGLISH_TEXT.split()

_RUSSIAN_TEXT = """Александр Алексей Андрей Антон Артём Борис Вадим Валентин Валерий Василий
Виктор Виталий Владимир Владислав Вячеслав Геннадий Георгий Глеб Григорий Даниил Денис
Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Леонид Лев Максим Марк Матвей
Михаил Никита Николай Олег Павел Пётр Роман Руслан Сергей Станислав Степан Тимофей
Тимур Фёдор Филипп Эдуард Юрий Ярослав Семён Захар Арсений Богдан Всеволод Герман
Эмиль Марат Ростислав Анастасия Анна Алина Алёна Алла Валентина Валерия Вера Вероника
Виктория Галина Дарья Диана Ева Евгения Екатерина Елена Елизавета Жанна Зоя Инна Ирина
Карина Кира Кристина Ксения Лариса Лидия Любовь Людмила Маргарита Марина Мария Милана
Надежда Наталья Нина Оксана Ольга Полина Раиса Светлана София Таисия Тамара Татьяна
Ульяна Эльвира Юлия Яна Василиса Варвара Злата Ангелина Арина Олеся Снежана Майя
Агата Есения Эвелина Стефания Александра Маша Саша Женя Настя Катя Лена Оля Таня
Юля Дима Миша Коля Серёжа Паша Слава Витя Лёша Гриша"""
RUSSIAN = _RUSSIAN_TEXT.split()

# Ways a Latin spelling drifts when written from sound (applied one at a time).
_DRIFTS = (("X", "KS"), ("KS", "X"), ("PH", "F"), ("CK", "K"), ("C", "K"), ("K", "C"),
           ("Y", "I"), ("I", "Y"), ("IA", "IYA"), ("IYA", "IA"), ("YA", "IA"), ("IA", "YA"),
           ("YU", "IU"), ("YU", "JU"), ("KH", "H"), ("ZH", "J"), ("TS", "TZ"), ("EE", "I"),
           ("TH", "T"), ("Y", "J"), ("J", "Y"), ("E", "YE"), ("YO", "E"))


def people(count_each: int = 110) -> list[str]:
    """At least `count_each` distinct English and Russian first names."""
    english = list(dict.fromkeys(ENGLISH))[:count_each]
    russian = list(dict.fromkeys(RUSSIAN))[:count_each]
    return english + russian


def _doubles_dropped(word: str) -> str:
    return re.sub(r"(.)\1", r"\1", word)


def heard_spellings(name: str, code: str, rng: random.Random) -> list[str]:
    """What friends type after hearing the code said with `name` (as the speaker said it:
    Latin for English names, Cyrillic for Russian ones)."""
    parts = codes.split(code)
    word, digits = parts.word, parts.digits
    groups = " ".join(parts.digit_groups)
    out = {code, code.lower(), f"{word}-{digits}", f"{word.capitalize()} {groups}",
           digits, groups, f"{digits[:3]}-{digits[3:]}"}
    out.add(f"{name.upper()} {groups}")
    out.add(f"{names.to_cyrillic(name).upper()}{digits}")  # a Russian speaker writing it
    variants = {word, _doubles_dropped(word)}
    for old, new in _DRIFTS:
        if old in word[1:] or (old in word and old != "E"):
            variants.add(word.replace(old, new, 1))
    for variant in variants:
        if variant and variant.isalpha():
            out.add(variant + digits)
            out.add(f"{variant.capitalize()} {groups}")
    return sorted(s for s in out if s)


def typos(code: str, rng: random.Random, count: int = 3) -> list[str]:
    """One digit wrong: must never resolve to any code."""
    parts = codes.split(code)
    out = []
    for _ in range(count):
        i = rng.randrange(len(parts.digits))
        d = parts.digits
        wrong = str((int(d[i]) + rng.randrange(1, 10)) % 10)
        out.append(parts.word + d[:i] + wrong + d[i + 1:])
    return out
