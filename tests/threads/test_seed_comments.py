"""The real forum comments of the seed page: split, structure, and exports."""

from __future__ import annotations

import json

from tests.threads.helpers import json_facts, markdown_ids
from tests.threads.seed_comments import SEED_COMMENTS, SEED_FILE, comment_paragraphs, seed_records
from threads.export import export
from threads.model import ThreadInfo
from threads.tree import build_tree, walk_with_parent

INFO = ThreadInfo(id=1, title="[AN #56] seed thread")


def by_key() -> dict[str, tuple[str | None, str, str]]:
    return {key: (parent, author, text) for key, parent, author, text in SEED_COMMENTS}


def test_split_covers_every_paragraph_once_in_page_order() -> None:
    paragraphs = comment_paragraphs(SEED_FILE.read_text(encoding="utf-8"))
    rejoined = [p for _k, _p, _a, text in SEED_COMMENTS for p in text.split("\n\n")]
    assert rejoined == paragraphs
    assert len(SEED_COMMENTS) == 9  # the page's header says 8; its text holds nine comments


def test_multi_paragraph_comments_keep_their_paragraphs() -> None:
    comments = by_key()
    assert comments["yay"][2].endswith("that's what I actually post.")
    assert comments["thanks"][2].split("\n\n")[1].startswith("From my perspective")
    assert comments["prereg"][2].endswith("appears nowhere in your post.")
    assert comments["terminology"][2].endswith('generalization properties of their theory."')
    assert comments["certainly"][2].split("\n\n")[1].startswith("Certainly.")


def test_reply_quotes_repeat_the_parent_text() -> None:
    comments = by_key()
    quotes = {
        "terminology": [
            'Also, I notice the term "p-hacking" appears nowhere in your post.',
            'Doing a similar experiment again is called "replication".',
            "Why would you expect this?",
        ],
        "certainly": ["Or to put it another way, if the principle you discovered is useful"],
    }
    for key, quoted in quotes.items():
        parent = comments[key][0]
        assert parent is not None
        parent_text = comments[parent][2].lower()
        for line in quoted:
            assert line in comments[key][2]
            assert line.lower() in parent_text


def test_seed_tree_matches_the_forum_thread() -> None:
    records, ids = seed_records()
    name = {v: k for k, v in ids.items()}
    shape = [
        (name[n.record.id], None if p is None else name[p.record.id], n.depth)
        for n, p in walk_with_parent(build_tree(records))
    ]
    assert shape == [
        ("agency", None, 0),
        ("yay", None, 0),
        ("fyi", "yay", 1),
        ("thanks", "fyi", 2),
        ("prereg", None, 0),
        ("terminology", "prereg", 1),
        ("replicate", "terminology", 2),
        ("certainly", "replicate", 3),
        ("gelman", None, 0),
    ]


def test_seed_exports_carry_every_comment_and_all_its_text() -> None:
    records, ids = seed_records()
    markdown = "".join(export("markdown", INFO, records))
    assert [i for i, _q in markdown_ids(markdown)] == list(ids.values())
    for _k, _p, author, text in SEED_COMMENTS:
        assert f"**{author}**" in markdown
        for line in text.splitlines():
            assert line in markdown
    document = json.loads("".join(export("json", INFO, records)))
    assert [i for i, _p, _d in json_facts(json.dumps(document))] == list(ids.values())
    texts = [c["content"] for c in document["comments"]]
    assert texts[0].startswith("Relevant to Robin Hanson's point")
