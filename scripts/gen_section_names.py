"""Regenerate feeds/issue/section_names.py from the summaries database's categories.

Run once after the database changes:  python scripts/gen_section_names.py [CSV]
The output is pure data: the database's spelling of every section name it uses (the most
common spelling when it has several), so parsed issues are tagged and filtered the same way.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / "tests" / "data" / "an-summaries-database.csv"
OUT = ROOT / "feeds" / "issue" / "section_names.py"
# The top-level headings of the issues: the database stores only the innermost section.
TOP_LEVEL = (
    "Highlights",
    "Technical AI alignment",
    "Near-term concerns",
    "AI strategy and policy",
    "AI governance",
    "Other progress in AI",
    "News",
    "Field building",
    "Previous newsletters",
    "Miscellaneous",
)


def main(csv_path: Path = DEFAULT_CSV) -> None:
    with csv_path.open(newline="", encoding="utf-8") as fh:
        spellings = Counter(
            " ".join(row["Category"].split()) for row in csv.DictReader(fh) if row["Category"]
        )
    best: dict[str, tuple[int, str]] = {}
    for name, count in spellings.items():
        key = name.casefold()
        if key not in best or count > best[key][0]:
            best[key] = (count, name)
    names = sorted(name for _, name in best.values())
    lines = [
        '"""Section names as the summaries database spells them (generated: do not edit).',
        "",
        "Made by scripts/gen_section_names.py from the database's Category column, plus the",
        "issues' top-level headings, which the database does not store.",
        '"""',
        "",
        "TOP_LEVEL_SECTIONS = (",
        *(f'    "{name}",' for name in TOP_LEVEL),
        ")",
        "",
        "DATABASE_SECTIONS = (",
        *(f'    "{name}",' for name in names),
        ")",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT} ({len(names)} database sections)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV)
