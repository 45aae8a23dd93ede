"""A damaged summaries CSV is refused whole, with the line number; nothing is imported
(issue 12, defect 6). Bad labels and NUL cells behave the same on both backends."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlmodel import func, select

from storage.db import Database
from storage.importer import COLUMNS, DatabaseFileError, import_database
from storage.models import Issue, Summary


async def _counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        summaries = (await session.exec(select(func.count()).select_from(Summary))).one()
        issues = (await session.exec(select(func.count()).select_from(Issue))).one()
    return int(summaries), int(issues)


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return out.getvalue()


def _row(title: str, label: str = "AN #56", **extra: str) -> dict[str, str]:
    return {
        "Title": title,
        "Email": label,
        "Summary": f"What {title} says.",
        "URL": "https://x.org",
        **extra,
    }


@pytest.mark.parametrize("cut_in", ["a quoted cell", "an unquoted cell"])
async def test_a_cut_file_is_refused_whole_with_its_line(
    db: Database, data_dir: Path, tmp_path: Path, cut_in: str
) -> None:
    text = (data_dir / "an-summaries-database.csv").read_bytes()
    if cut_in == "a quoted cell":
        # Inside the long opinion of some row past the middle: its quote never closes.
        cut = text.index(b'"', len(text) // 2 + 1000) + 40
    else:
        # After the comma that ends a row's summarizer: the row lacks its last columns.
        cut = text.index(b",Rohin,", len(text) // 2) + len(b",Rohin,")
        cut = text.index(b"\r\n", cut) if text[cut : cut + 1] != b'"' else cut  # stay unquoted
        cut = text.rindex(b",", 0, cut) + 1
    damaged = tmp_path / "cut.csv"
    damaged.write_bytes(text[:cut])
    lines = text[:cut].count(b"\n") + 1
    with pytest.raises(DatabaseFileError) as caught:
        await import_database(db, damaged)
    message = str(caught.value)
    assert "\n" not in message and f"line {lines}" in message, message
    assert await _counts(db) == (0, 0)


@pytest.mark.parametrize("label", ["AN #99999999999999999999", "AN #3000000000"])
async def test_an_issue_number_out_of_range_is_refused(
    db: Database, tmp_path: Path, label: str
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(_csv([_row("Fine one"), _row("Huge one", label), _row("Fine two")]))
    with pytest.raises(DatabaseFileError) as caught:
        await import_database(db, path)
    message = str(caught.value)
    assert "line 3" in message and label in message and "\n" not in message
    assert await _counts(db) == (0, 0)


async def test_nul_cells_are_cleaned_alike_on_both_backends(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_text(
        _csv([_row("Nul\x00 title", **{"My opinion": "So\x00 so", "Authors": "A\x00B"})])
    )
    report = await import_database(db, path)
    assert report.inserted == 1
    async with db.session() as session:
        [row] = (await session.exec(select(Summary))).all()
    assert (row.title, row.authors, row.opinions[0]["text"]) == ("Nul title", "AB", "So so")
