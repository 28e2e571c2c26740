"""The voter's guide and the poll worker's guide, illustrated by a real simulated day.

    .venv/bin/python -m sim.guides          # writes docs/guides/ again

One simulated day a language (the ballot of examples/kz-multi.toml, two voters, the poll
workers and voters all in that language) gives the screens and printouts; the guides show
them next to the steps, so a changed screen is a changed picture after this command, and a
guide never shows a screen the terminal no longer draws. tests/test_guides.py checks that
the committed guides are what this writes from the committed pictures.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image

from sim.day import REPO, Day

GUIDES = REPO / "docs" / "guides"
DEFINITION = REPO / "examples" / "kz-multi.toml"
LANGUAGES = ("ru", "ky")
# The pictures each guide uses: (file stem, the screen or printout it is, which of them).
SCREENS = (
    ("ready", "ready", 0),
    ("chair_pin", "chair_pin", 0),
    ("idle", "idle", 0),
    ("voter_found", "voter_found", 0),
    ("refused", "refused", 0),
    ("language", "language", 0),
    ("ballot-1", "ballot", 0),
    ("ballot-2", "ballot", 1),
    ("ballot-3", "ballot", 3),
    ("review", "review", 0),
    ("cast", "cast", 0),
    ("close_confirm", "close_confirm", 0),
    ("shares", "shares", 0),
    ("counted", "counted", 0),
)
PRINTOUTS = (("zero-report", "zero-report"), ("slip", "slip"), ("protocol", "protocol"))

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "voter_title": "Памятка избирателя",
        "voter_intro": "Так выглядит терминал для голосования. Экраны ниже сняты с "
        "настоящего (смоделированного) дня голосования.",
        "language": "Выберите язык. Здесь же можно включить крупный шрифт и высокий контраст: "
        "они действуют только для вас, следующий избиратель увидит обычный экран.",
        "ballot-1": "Коснитесь имени или партии: выбранное отмечено ✓ и выделено. "
        "Коснитесь ещё раз, чтобы снять отметку. «Далее» доступно, когда выбор сделан.",
        "ballot-2": "Если кандидатов много, они на нескольких страницах: номер страницы "
        "вверху справа, кнопки ◀ и ▶ листают страницы. Где можно выбрать несколько, "
        "экран говорит, сколько отмечено. «Против всех» снимает другие отметки.",
        "ballot-3": "Где закон позволяет не голосовать, экран так и говорит: «Далее» "
        "доступно и без отметки.",
        "review": "Проверьте выбор: здесь все выборы бюллетеня. Коснитесь любого, чтобы "
        "изменить его: после «Далее» вы вернётесь сюда. «ничего не выбрано» — вы не "
        "отметили ничего. «Проголосовать» опускает бюллетень.",
        "cast": "Бюллетень принят. Возьмите бумажный талон, проверьте его и опустите в урну.",
        "slip": "Талон: ваш выбор словами и QR-кодом, без времени и без ваших данных.",
        "idle": "Если две минуты не касаться экрана, терминал спросит, голосуете ли вы ещё; "
        "ещё через минуту бюллетень аннулируется и возвращается члену комиссии, "
        "который может выдать его снова.",
        "worker_title": "Памятка члена участковой комиссии",
        "worker_intro": "Шаги дня голосования на комбинированном терминале. Экраны и "
        "распечатки сняты с настоящего (смоделированного) дня.",
        "ready": "Перед открытием: председатель сканирует карточку председателя.",
        "chair_pin": "Председатель вводит PIN-код; после пяти неверных попыток карточка "
        "блокируется на пять минут.",
        "zero-report": "Отчёт о нулевых показаниях печатается при открытии — на "
        "государственном и русском языках, со временем открытия и строками для подписей "
        "членов комиссии.",
        "idle-worker": "Голосование открыто: сканируйте документ избирателя.",
        "voter_found": "Сверьте имя с документом и выдайте бюллетень; терминал переходит "
        "к избирателю.",
        "refused": "Если бюллетень выдать нельзя, экран говорит почему.",
        "close_confirm": "Закрытие: председатель сканирует карточку и вводит PIN, затем "
        "подтверждает закрытие.",
        "shares": "Члены комиссии сканируют свои карточки с частями ключа.",
        "counted": "Бюллетени подсчитаны, протокол подписан и напечатан, пакет результатов "
        "записан.",
        "protocol": "Протокол: строки, голоса, явка, время открытия и закрытия, подписи "
        "членов комиссии и QR-коды подписанного протокола.",
    },
    "ky": {
        "voter_title": "Шайлоочунун эскертмеси",
        "voter_intro": "Добуш берүү терминалы ушундай көрүнөт. Төмөнкү экрандар чыныгы "
        "(моделделген) добуш берүү күнүнөн алынды.",
        "language": "Тилди тандаңыз. Бул жерде чоң тамганы жана жогорку контрастты күйгүзүүгө "
        "болот: алар сиз үчүн гана иштейт, кийинки шайлоочу кадимки экранды көрөт.",
        "ballot-1": "Аты-жөнгө же партияга тийиңиз: тандалганы ✓ менен белгиленет. "
        "Белгини алып салуу үчүн кайра тийиңиз. Тандоо жасалганда «Кийинки» иштейт.",
        "ballot-2": "Талапкерлер көп болсо, алар бир нече бетте: беттин номери жогорку оң "
        "жакта, ◀ жана ▶ баскычтары беттерди которот. Бир нечесин тандоого мүмкүн болгон "
        "жерде экран канчасы белгиленгенин айтат. «Баарына каршымын» башка белгилерди "
        "алып салат.",
        "ballot-3": "Мыйзам добуш бербөөгө уруксат берген жерде экран ошону айтат: "
        "«Кийинки» белгисиз да иштейт.",
        "review": "Тандооңузду текшериңиз: бюллетендин бардык шайлоолору бул жерде. "
        "Өзгөртүү үчүн каалаганына тийиңиз: «Кийинки» баскандан кийин бул жерге кайтасыз. "
        "«тандалган жок» — эч нерсе белгилеген жоксуз. «Добуш берүү» бюллетенди салат.",
        "cast": "Бюллетень кабыл алынды. Кагаз талонду алып, текшерип, урнага салыңыз.",
        "slip": "Талон: тандооңуз сөз жана QR-код менен, убакытсыз жана сиздин маалыматсыз.",
        "idle": "Эки мүнөт экранга тийбесеңиз, терминал дагы эле добуш берип жатасызбы деп "
        "сурайт; дагы бир мүнөттөн кийин бюллетень жокко чыгарылып, комиссия мүчөсүнө "
        "кайтат, ал аны кайра бере алат.",
        "worker_title": "Участкалык комиссиянын мүчөсүнүн эскертмеси",
        "worker_intro": "Айкалыштырылган терминалдагы добуш берүү күнүнүн кадамдары. "
        "Экрандар жана басмалар чыныгы (моделделген) күндөн алынды.",
        "ready": "Ачуудан мурун: төрага төраганын картасын сканерлейт.",
        "chair_pin": "Төрага PIN-кодду киргизет; беш туура эмес аракеттен кийин карта беш "
        "мүнөткө бөгөттөлөт.",
        "zero-report": "Нөлдүк отчет ачылганда басылат — мамлекеттик жана орус тилдеринде, "
        "ачылган убактысы жана комиссия мүчөлөрүнүн колдору үчүн саптар менен.",
        "idle-worker": "Добуш берүү ачык: шайлоочунун документин сканерлеңиз.",
        "voter_found": "Аты-жөнүн документ менен салыштырып, бюллетень бериңиз; терминал "
        "шайлоочуга өтөт.",
        "refused": "Бюллетень берүүгө болбосо, экран себебин айтат.",
        "close_confirm": "Жабуу: төрага картаны сканерлеп, PIN-кодду киргизет, андан кийин "
        "жабууну ырастайт.",
        "shares": "Комиссия мүчөлөрү ачкыч үлүшүнүн карталарын сканерлешет.",
        "counted": "Бюллетендер эсептелди, протокол кол коюлуп басылды, жыйынтыктар пакети "
        "жазылды.",
        "protocol": "Протокол: саптар, добуштар, катышуу, ачылган жана жабылган убакыт, "
        "комиссия мүчөлөрүнүн колдору жана кол коюлган протоколдун QR-коддору.",
    },
}
VOTER_STEPS = ("language", "ballot-1", "ballot-2", "ballot-3", "review", "cast", "slip")
WORKER_STEPS = (
    "ready", "chair_pin", "zero-report", "idle", "voter_found", "refused",
    "close_confirm", "shares", "counted", "protocol",
)  # fmt: skip


def _picture(stem: str) -> str:
    return f"{stem}.png"


def markdown(language: str, guide: str) -> str:
    """The text of one guide (guide: "voter" or "poll-worker") in `language`."""
    t = TEXT[language]
    voter = guide == "voter"
    lines = [
        f"# {t['voter_title' if voter else 'worker_title']}",
        "",
        "<!-- Generated by `python -m sim.guides` from a simulated day; do not edit. -->",
        "",
        t["voter_intro" if voter else "worker_intro"],
        "",
    ]
    for number, step in enumerate(VOTER_STEPS if voter else WORKER_STEPS, 1):
        key = "idle-worker" if step == "idle" else step
        lines += [f"{number}. {t[key]}", "", f"   ![{step}]({language}/{_picture(step)})", ""]
    if voter:
        lines += [t["idle"], ""]
    return "\n".join(lines)


def pictures(run: Path, target: Path) -> None:
    """Copy the guides' screens and printouts from a day's run directory into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    shots = sorted((run / "screens").glob("*.png"))
    for stem, name, which in SCREENS:
        found = [p for p in shots if p.stem.split("-", 1)[1] == name]
        image = Image.open(found[min(which, len(found) - 1)]).convert("RGB")
        # An adaptive palette of 32 colours: a screen is flat colour and text, and the
        # committed pictures stay a few kilobytes each.
        image.quantize(32).save(target / _picture(stem), optimize=True)
    printed = sorted((run / "printouts").glob("*.png"))
    for stem, kind in PRINTOUTS:
        first = next(p for p in printed if p.stem.split("-", 1)[1] == kind)
        Image.open(first).convert("1").save(target / _picture(stem), optimize=True)


def main(argv: list[str]) -> int:
    if argv:
        print("usage: python -m sim.guides", file=sys.stderr)
        return 2
    for language in LANGUAGES:
        with tempfile.TemporaryDirectory() as scratch:
            run = Path(scratch) / "day"
            run.mkdir()
            Day(2, 5, run, None, 0, definition=DEFINITION, language=language).run()
            shutil.rmtree(GUIDES / language, ignore_errors=True)
            pictures(run, GUIDES / language)
        for guide in ("voter", "poll-worker"):
            (GUIDES / f"{guide}-{language}.md").write_text(markdown(language, guide))
    print(f"guides written to {GUIDES}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
