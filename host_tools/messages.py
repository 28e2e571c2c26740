"""The commission desk's messages in the languages commissions work in: ru, ky, kk (and en).

The host tools are used by commission staff at a PC, not by voters: their messages live
here, one table, rather than in the terminal's gettext catalogs (which hold what the
terminal shows). `--lang` picks the language; Russian is the default, the language every
KG and KZ commission works in besides the state language. Technical details inside a
message (a verification failure naming a file) stay as the verifier wrote them.
"""

from __future__ import annotations

import argparse

LANGUAGES = ("ru", "ky", "kk", "en")
DEFAULT_LANGUAGE = "ru"

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"ru": "ошибка", "ky": "ката", "kk": "қате", "en": "error"},
    "db_error": {
        "ru": "ошибка: база результатов: {detail}",
        "ky": "ката: жыйынтыктар базасы: {detail}",
        "kk": "қате: нәтижелер базасы: {detail}",
        "en": "error: results database: {detail}",
    },
    "package_error": {
        "ru": "ошибка: пакет выборов: {detail}",
        "ky": "ката: шайлоо пакети: {detail}",
        "kk": "қате: сайлау пакеті: {detail}",
        "en": "error: election package: {detail}",
    },
    "act_error": {
        "ru": "ошибка: акт приема-передачи: {detail}",
        "ky": "ката: кабыл алуу-өткөрүп берүү акты: {detail}",
        "kk": "қате: қабылдау-беру актісі: {detail}",
        "en": "error: acceptance-transfer act: {detail}",
    },
    "progress": {
        "ru": "пакеты результатов",
        "ky": "жыйынтыктар пакеттери",
        "kk": "нәтижелер пакеттері",
        "en": "results bundles",
    },
    "counted": {
        "ru": "УЧТЁН {path}: терминал {terminal}, участок {precinct}, бюллетеней {ballots}",
        "ky": "ЭСЕПКЕ АЛЫНДЫ {path}: терминал {terminal}, участок {precinct}, "
        "бюллетендер {ballots}",
        "kk": "ЕСЕПКЕ АЛЫНДЫ {path}: терминал {terminal}, учаске {precinct}, "
        "бюллетеньдер {ballots}",
        "en": "COUNTED {path}: terminal {terminal}, precinct {precinct}, {ballots} ballots",
    },
    "same_results": {
        "ru": "ПОВТОР {path}: терминал {terminal} выгрузил те же результаты ещё раз; "
        "учтены один раз",
        "ky": "КАЙТАЛОО {path}: терминал {terminal} ошол эле жыйынтыктарды кайра берди; "
        "бир жолу эсепке алынды",
        "kk": "ҚАЙТАЛАУ {path}: терминал {terminal} сол нәтижелерді қайта берді; "
        "бір рет есепке алынды",
        "en": "AGAIN {path}: terminal {terminal} exported the same results again; counted once",
    },
    "already": {
        "ru": "УЖЕ В БАЗЕ {path}: этот пакет уже собран",
        "ky": "БАЗАДА БАР {path}: бул пакет мурун чогултулган",
        "kk": "БАЗАДА БАР {path}: бұл пакет бұрын жиналған",
        "en": "ALREADY IN {path}: this bundle was collected before",
    },
    "conflict": {
        "ru": "КОНФЛИКТ {reason}",
        "ky": "КАРАМА-КАРШЫЛЫК {reason}",
        "kk": "ҚАЙШЫЛЫҚ {reason}",
        "en": "CONFLICT {reason}",
    },
    "failed": {
        "ru": "НЕ ПРОШЁЛ ПРОВЕРКУ {reason}",
        "ky": "ТЕКШЕРҮҮДӨН ӨТКӨН ЖОК {reason}",
        "kk": "ТЕКСЕРУДЕН ӨТПЕДІ {reason}",
        "en": "FAILED {reason}",
    },
    "summary": {
        "ru": "Итого: учтено {counted}, повторов {same}, уже в базе {already}, "
        "конфликтов {conflict}, не прошли проверку {failed}",
        "ky": "Жыйынтык: эсепке алынды {counted}, кайталоо {same}, базада бар {already}, "
        "карама-каршылык {conflict}, текшерүүдөн өткөн жок {failed}",
        "kk": "Қорытынды: есепке алынды {counted}, қайталау {same}, базада бар {already}, "
        "қайшылық {conflict}, тексеруден өтпеді {failed}",
        "en": "Total: counted {counted}, same results again {same}, already in {already}, "
        "conflicts {conflict}, failed {failed}",
    },
    "interrupted": {
        "ru": "прервано: {done} пакетов внесены целиком, остальные не внесены; "
        "запустите collect снова",
        "ky": "токтотулду: {done} пакет толук киргизилди, калгандары киргизилген жок; "
        "collect кайра иштетиңиз",
        "kk": "тоқтатылды: {done} пакет толық енгізілді, қалғандары енгізілмеді; "
        "collect қайта іске қосыңыз",
        "en": "interrupted: {done} bundles imported whole, the rest not at all; run collect again",
    },
    "test_election": {
        "ru": "*** ТЕСТОВЫЕ ВЫБОРЫ: результаты теста, не официальные ***",
        "ky": "*** СЫНОО ШАЙЛООСУ: сыноонун жыйынтыктары, расмий эмес ***",
        "kk": "*** СЫНАҚ САЙЛАУЫ: сынақ нәтижелері, ресми емес ***",
        "en": "*** TEST ELECTION: test results, never official ***",
    },
    "in": {"ru": "получен", "ky": "алынды", "kk": "алынды", "en": "in"},
    "missing": {"ru": "нет", "ky": "жок", "kk": "жоқ", "en": "missing"},
    "in_conflict": {
        "ru": "конфликт",
        "ky": "карама-каршылык",
        "kk": "қайшылық",
        "en": "in conflict",
    },
    "failed_short": {
        "ru": "не прошёл проверку",
        "ky": "текшерүүдөн өткөн жок",
        "kk": "тексеруден өтпеді",
        "en": "failed verification",
    },
    "region": {"ru": "Область", "ky": "Облус", "kk": "Облыс", "en": "Region"},
    "district": {"ru": "Район", "ky": "Район", "kk": "Аудан", "en": "District"},
    "precinct": {"ru": "Участок", "ky": "Участок", "kk": "Учаске", "en": "Precinct"},
    "terminal": {"ru": "Терминал", "ky": "Терминал", "kk": "Терминал", "en": "Terminal"},
    "total": {"ru": "Всего", "ky": "Бардыгы", "kk": "Барлығы", "en": "Total"},
    "no_district": {
        "ru": "(вне района)",
        "ky": "(райондон тышкары)",
        "kk": "(аудансыз)",
        "en": "(no district)",
    },
    "status_line": {
        "ru": "{unit}: участков {precincts}; получены {done}, нет {missing}, "
        "в конфликте {conflict}, не прошли проверку {failed}",
        "ky": "{unit}: участоктор {precincts}; алынды {done}, жок {missing}, "
        "карама-каршылык {conflict}, текшерүүдөн өткөн жок {failed}",
        "kk": "{unit}: учаскелер {precincts}; алынды {done}, жоқ {missing}, "
        "қайшылық {conflict}, тексеруден өтпеді {failed}",
        "en": "{unit}: {precincts} precincts; in {done}, missing {missing}, "
        "in conflict {conflict}, failed {failed}",
    },
    "turnout": {"ru": "Явка", "ky": "Катышуу", "kk": "Келу", "en": "Turnout"},
    "votes": {"ru": "голосов", "ky": "добуш", "kk": "дауыс", "en": "votes"},
    "blank": {
        "ru": "Без отметки",
        "ky": "Белгисиз",
        "kk": "Белгісіз",
        "en": "No selection",
    },
    "voters_on_list": {
        "ru": "Избирателей в списке",
        "ky": "Тизмедеги шайлоочулар",
        "kk": "Тізімдегі сайлаушылар",
        "en": "Voters on the list",
    },
    "ballots_issued": {
        "ru": "Выдано бюллетеней",
        "ky": "Берилген бюллетендер",
        "kk": "Берілген бюллетеньдер",
        "en": "Ballots issued",
    },
    "ballots_cast": {
        "ru": "Подано бюллетеней",
        "ky": "Ташталган бюллетендер",
        "kk": "Салынған бюллетеньдер",
        "en": "Ballots cast",
    },
    "ballots_void": {
        "ru": "Аннулировано бюллетеней",
        "ky": "Жокко чыгарылган бюллетендер",
        "kk": "Жойылған бюллетеньдер",
        "en": "Ballots void",
    },
    "precincts_reported": {
        "ru": "Участков с результатами: {done} из {all}",
        "ky": "Жыйынтыгы бар участоктор: {all} ичинен {done}",
        "kk": "Нәтижесі бар учаскелер: {all} ішінен {done}",
        "en": "Precincts reported: {done} of {all}",
    },
    "written": {
        "ru": "записано: {path}",
        "ky": "жазылды: {path}",
        "kk": "жазылды: {path}",
        "en": "written: {path}",
    },
    "empty_db": {
        "ru": "в базе ещё нет выборов: сначала collect",
        "ky": "базада азырынча шайлоо жок: адегенде collect",
        "kk": "базада әлі сайлау жоқ: алдымен collect",
        "en": "the database holds no election yet: run collect first",
    },
}


def message(key: str, language: str, **values: object) -> str:
    """The message in `language` (Russian where a language lacks it), filled in."""
    texts = MESSAGES[key]
    return texts.get(language, texts[DEFAULT_LANGUAGE]).format(**values)


def add_language_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of the messages: ru (default), ky, kk or en",
    )
