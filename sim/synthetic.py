"""Synthetic elections and voters: Kyrgyz names, valid PINs, documents and addresses.

Everything is drawn from a seeded random generator, so the same seed gives the same
election, the same register and the same polling day.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from terminal.ballot.election import Choice, Contest
from terminal.idscan.pin import Sex, make_pin
from terminal.idscan.register import Register, Voter

SURNAMES = (
    "Асанов",
    "Усенов",
    "Токтогулов",
    "Жумабеков",
    "Осмонов",
    "Абдыкадыров",
    "Сыдыков",
    "Бакиров",
    "Эргешов",
    "Мамытов",
    "Ибраимов",
    "Турдубаев",
    "Кадыров",
    "Алиев",
    "Маматов",
    "Султанов",
    "Өмүрбеков",
    "Токтосунов",
    "Бейшеев",
    "Касымов",
    "Үсөнбаев",
    "Шаршеев",
)
MALE_NAMES = (
    "Нурлан",
    "Азамат",
    "Бакыт",
    "Эрлан",
    "Талант",
    "Улан",
    "Нурбек",
    "Айбек",
    "Марат",
    "Эмил",
    "Адилет",
    "Бекжан",
    "Чыңгыз",
    "Элдияр",
    "Жоомарт",
    "Самат",
    "Кубанычбек",
    "Мирлан",
    "Үмөт",
)
FEMALE_NAMES = (
    "Айгүл",
    "Гүлнара",
    "Айпери",
    "Нургүл",
    "Жылдыз",
    "Бермет",
    "Айжан",
    "Чолпон",
    "Динара",
    "Мээрим",
    "Асель",
    "Гүлзат",
    "Назира",
    "Айнура",
    "Бүбүсара",
    "Каныкей",
    "Сезим",
    "Толгонай",
)
STREETS = (
    "ул. Киевская",
    "пр. Чүй",
    "пр. Манаса",
    "ул. Токтогула",
    "ул. Ахунбаева",
    "пр. Жибек Жолу",
    "ул. Табышалиева",
    "ул. Исанова",
    "мкр. Асанбай",
    "мкр. Жал",
)

CANDIDATES = (
    ("Нурлан Кадыров", "Nurlan Kadyrov"),
    ("Айгүл Өмүрбекова", "Aigul Omurbekova"),
    ("Бакыт Сыдыков", "Bakyt Sydykov"),
    ("Жылдыз Асанова", "Jyldyz Asanova"),
    ("Чыңгыз Токтогулов", "Chyngyz Toktogulov"),
    ("Мээрим Жумабекова", "Meerim Jumabekova"),
)
AGAINST_ALL = {
    "ky": "Баарына каршымын",
    "ru": "Против всех",
    "kk": "Бәріне қарсымын",
    "en": "Against all",
}
ELECTION_NAMES = {
    "ky": "Кыргыз Республикасынын Президентин шайлоо",
    "ru": "Выборы Президента Кыргызской Республики",
    "kk": "Қырғыз Республикасының Президентін сайлау",
    "en": "Presidential election of the Kyrgyz Republic",
}
PRECINCT_NAMES = {
    "ky": "№1234 шайлоо участкасы, Бишкек",
    "ru": "Избирательный участок №1234, Бишкек",
    "en": "Polling station No. 1234, Bishkek",
}


def _feminine(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев")) else surname


def _patronymic(father: str, sex: Sex) -> str:
    return father + ("ович" if sex is Sex.MALE else "овна")


@dataclass(frozen=True)
class SyntheticVoter:
    voter: Voter
    sex: Sex


def make_register(precinct: str, count: int, election_day: dt.date, rng: random.Random) -> Register:
    """`count` adult voters with distinct valid PINs, ID cards and Bishkek addresses."""
    voters: list[Voter] = []
    used: set[str] = set()
    while len(voters) < count:
        sex = rng.choice((Sex.FEMALE, Sex.MALE))
        age_days = rng.randint(18 * 366, 90 * 365)
        birth = election_day - dt.timedelta(days=age_days)
        number = make_pin(sex, birth, rng.randint(0, 99999))
        if number in used:
            continue
        used.add(number)
        surname = rng.choice(SURNAMES)
        given = rng.choice(MALE_NAMES if sex is Sex.MALE else FEMALE_NAMES)
        issued = election_day - dt.timedelta(days=rng.randint(30, 9 * 365))
        voters.append(
            Voter(
                surname=surname if sex is Sex.MALE else _feminine(surname),
                name=given,
                patronymic=_patronymic(rng.choice(MALE_NAMES), sex),
                birth_date=birth,
                number=number,
                document=f"ID{rng.randint(0, 9_999_999):07d}",
                document_issued=issued,
                address=f"г. Бишкек, {rng.choice(STREETS)}, {rng.randint(1, 180)}, "
                f"кв. {rng.randint(1, 120)}",
                precinct=precinct,
            )
        )
    return Register(precinct, tuple(voters))


def unknown_pin(register: Register, rng: random.Random) -> str:
    """A valid-looking PIN that is not on the register (a voter of another precinct)."""
    while True:
        birth = dt.date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))
        number = make_pin(rng.choice((Sex.FEMALE, Sex.MALE)), birth, rng.randint(0, 99999))
        if register.find(number) is None:
            return number


def president_contest() -> Contest:
    """Six candidates and "against all", named in Kyrgyz, Russian, Kazakh and English."""
    choices = tuple(
        Choice(f"cand-{i}", {"ky": cyr, "ru": cyr, "kk": cyr, "en": latin})
        for i, (cyr, latin) in enumerate(CANDIDATES, 1)
    )
    titles = {
        "ky": "Кыргыз Республикасынын Президенти",
        "ru": "Президент Кыргызской Республики",
        "kk": "Қырғыз Республикасының Президенті",
        "en": "President of the Kyrgyz Republic",
    }
    return Contest("president", titles, (*choices, Choice("against-all", AGAINST_ALL, True)))
