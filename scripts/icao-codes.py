"""Print the `iso = [...]` list of terminal/idscan/icao_codes.toml from pycountry's ISO
3166-1 data: `pip install pycountry && python scripts/icao-codes.py`. The terminal itself
never needs pycountry; the list is data, checked in, reviewed when ISO changes."""

from __future__ import annotations

import pycountry  # type: ignore[import-not-found]


def main() -> None:
    codes = sorted(country.alpha_3 for country in pycountry.countries)
    print("iso = [")
    for start in range(0, len(codes), 16):
        print("    " + ", ".join(f'"{code}"' for code in codes[start : start + 16]) + ",")
    print("]")


if __name__ == "__main__":
    main()
