"""Our own specimen documents for Kazakhstan and Kyrgyzstan, and ICAO's from Doc 9303.

Every line is written out in full and each check digit is computed by hand in
test_specimens.py; the tests also check that the writers in mrz.py make the same lines.
The people are invented.
"""

from __future__ import annotations

import datetime as dt

TODAY = dt.date(2025, 6, 1)

# Kazakh IINs. 900315401233, female, born 1990-03-15, serial 0123: first pass
# 9*1 + 0*2 + 0*3 + 3*4 + 1*5 + 5*6 + 4*7 + 0*8 + 1*9 + 2*10 + 3*11 = 146 = 13*11 + 3.
KAZ_IIN_F = "900315401233"
# 721130345674, male, born 1972-11-30, serial 4567: first pass
# 7 + 4 + 3 + 4 + 15 + 0 + 21 + 32 + 45 + 60 + 77 = 268 = 24*11 + 4.
KAZ_IIN_M = "721130345674"
# 750812300007, male, born 1975-08-12, serial 0000: first pass
# 7 + 10 + 0 + 32 + 5 + 12 + 21 + 0 + 0 + 0 + 0 = 87 = 7*11 + 10, so the second pass:
# 7*3 + 5*4 + 0*5 + 8*6 + 1*7 + 2*8 + 3*9 + 0*10 + 0*11 + 0*1 + 0*2 = 139 = 12*11 + 7.
KAZ_IIN_SECOND_PASS = "750812300007"
# 75081230007x: first pass 87 + 7*11 = 164 = 14*11 + 10; second 139 + 7*2 = 153 = 13*11 + 10.
# Both passes give 10: no IIN starts with these 11 digits.
KAZ_IIN_PREFIX_WITHOUT_CHECK = "75081230007"

# Kyrgyz PINs: sex (1 female, 2 male), birth date DDMMYYYY, serial.
KGZ_PIN_F = "12207198500123"  # female, 1985-07-22, serial 00123
KGZ_PIN_M = "20901200104210"  # male, 2001-01-09, serial 04210

# A Kazakh ID card (TD1): the IIN in line 1 positions 16-27.
KAZ_TD1 = (
    "IDKAZ0123456784900315401233<<<",
    "9003152F3104116KAZ<<<<<<<<<<<1",
    "ZHANUZAKOVA<<AIGERIM<<<<<<<<<<",
)
# A Kazakh passport (TD3): the IIN as the personal number, line 2 positions 29-40.
KAZ_TD3 = (
    "P<KAZABENOV<<ERLAN<<<<<<<<<<<<<<<<<<<<<<<<<<",
    "N123456785KAZ7211302M2909015721130345674<<78",
)
# A Kyrgyz ID card (TD1): the PIN in line 1 positions 16-29.
KGZ_TD1 = (
    "IDKGZID0123456012207198500123<",
    "8507228F2712310KGZ<<<<<<<<<<<9",
    "ASANOVA<<AIGUL<<<<<<<<<<<<<<<<",
)
# A Kyrgyz passport (TD3): the PIN as the personal number, line 2 positions 29-42.
KGZ_TD3 = (
    "P<KGZTOKTOGULOV<<NURLAN<<<<<<<<<<<<<<<<<<<<<",
    "PE12345675KGZ0101099M30022892090120010421006",
)

# ICAO Doc 9303 specimens (Utopia, UTO): Part 4 (TD3), Part 5 (TD1), Part 6 (TD2).
ICAO_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
ICAO_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
ICAO_TD2 = (
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
)
# Part 5's layout for a 12-character document number, D23145890734: its first 9 characters,
# a filler for the check digit, then 734 and the check digit of the whole number,
# 13*7 + 2*3 + 3*1 + 1*7 + 4*3 + 5*1 + 8*7 + 9*3 + 0*1 + 7*7 + 3*3 + 4*1 = 269, so 9.
ICAO_TD1_LONG_NUMBER = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)

# The same number in a TD2 (Part 6): 734, its check digit 9 and a filler open the optional
# data. The composite is the TD2 specimen's (6) with '7' at 10 become '<' (-7*7) and
# 7349 added at composite positions 25-28 (+7*7 + 3*3 + 4*1 + 9*7): 6 - 49 + 125 = 82, so 2.
ICAO_TD2_LONG_NUMBER = (
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D23145890<UTO7408122F12041597349<<<2",
)

SPECIMENS = {
    "KAZ TD1": KAZ_TD1,
    "KAZ TD3": KAZ_TD3,
    "KGZ TD1": KGZ_TD1,
    "KGZ TD3": KGZ_TD3,
    "ICAO TD1": ICAO_TD1,
    "ICAO TD2": ICAO_TD2,
    "ICAO TD3": ICAO_TD3,
    "ICAO TD1 long number": ICAO_TD1_LONG_NUMBER,
    "ICAO TD2 long number": ICAO_TD2_LONG_NUMBER,
}


def scan(lines: tuple[str, ...]) -> str:
    """The lines as a scanner sends them: joined by CR."""
    return "\r".join(lines)
