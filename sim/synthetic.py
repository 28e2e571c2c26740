"""Synthetic elections and voters: Kyrgyz names, valid PINs, documents and addresses.

Everything is drawn from a seeded random generator, so the same seed gives the same
election, the same register and the same polling day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass

from terminal.ballot.election import Choice, Contest
from terminal.idscan import mrz
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


# ICAO Doc 9303 part 3, transliteration of Cyrillic; Kyrgyz and Kazakh letters as the
# issuing states write them (ң NG, ө O, ү U, ә A, ғ G, қ K, ұ U, һ H, і I).
_LATIN = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH", "З": "Z",
    "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R",
    "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH",
    "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA", "Ң": "NG",
    "Ө": "O", "Ү": "U", "Ә": "A", "Ғ": "G", "Қ": "K", "Ұ": "U", "Һ": "H", "І": "I",
}  # fmt: skip

DOCUMENTS = ("id-card", "passport", "barcode")


def latin(text: str) -> str:
    return "".join(_LATIN.get(c, c) for c in text.upper())


def document_scan(voter: Voter, kind: str, day: dt.date, rng: random.Random) -> str:
    """What the scanner reads from a voter's document: the MRZ of the ID card (TD1) or the
    passport (TD3), lines joined by CR, or the PIN barcode. `kind` may also be
    "expired-passport" or "other-id-card" (an ID card whose number is not the register's)."""
    if kind == "barcode":
        return voter.number
    sex = Sex.FEMALE if voter.number[0] == "1" else Sex.MALE
    names = {"surname": latin(voter.surname), "given_names": latin(voter.name)}
    if kind in ("id-card", "other-id-card"):
        number = voter.document if kind == "id-card" else f"ID{rng.randint(0, 9_999_999):07d}"
        lines: tuple[str, ...] = mrz.make_td1(
            issuing_state="KGZ", document_number=number, birth_date=voter.birth_date, sex=sex,
            expiry=day + dt.timedelta(days=rng.randint(200, 3000)), nationality="KGZ",
            optional_data=voter.number, **names,
        )  # fmt: skip
    else:
        expiry = (
            day - dt.timedelta(days=rng.randint(1, 900))
            if kind == "expired-passport"
            else (day + dt.timedelta(days=rng.randint(30, 3000)))
        )
        lines = mrz.make_td3(
            issuing_state="KGZ", document_number=f"AC{rng.randint(0, 9_999_999):07d}",
            birth_date=voter.birth_date, sex=sex, expiry=expiry, nationality="KGZ",
            personal_number=voter.number, **names,
        )  # fmt: skip
    return "\r".join(lines)


def minors(precinct: str, count: int, day: dt.date, rng: random.Random) -> list[Voter]:
    """Register entries of people who turn 18 only after election day (a list error the
    terminal must catch)."""
    people = make_register(precinct, count, day, rng).voters
    return [
        dataclasses.replace(
            v,
            birth_date=(young := day - dt.timedelta(days=17 * 365 + rng.randint(10, 300))),
            number=make_pin(Sex.FEMALE if v.number[0] == "1" else Sex.MALE, young, i),
        )
        for i, v in enumerate(people)
    ]
