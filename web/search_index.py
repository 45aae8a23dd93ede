"""The static site's search index: what `anbot web build` writes so /search/ works without a server.

The browser (web/static/search.js) cannot run SQL, so the build writes the index as JSON files:
- `search/k/NN.json`, key shards: `{key: value}` for every key whose FNV-1a hash (of its UTF-8
  bytes) modulo KEY_SHARDS is NN. Keys: `l:word` (a folded word as written → its Porter stem:
  the lexicon, so the browser needs no stemmer), `w:stem` (the documents holding the word),
  `p:stem stem` (documents where the two words are adjacent, within one field: a phrase is the
  AND of its pairs, as on both database backends), `b:name` (comments by that display name,
  folded: `by:` in discussions) and `z:name` (summaries by that summarizer: `by:` in summaries).
- `search/d/NN.json`, document shards: `{doc: {p: path, t: title, …}}` for what a hit shows.
Documents are `s<summary id>` and `c<comment id>` (strings: snowflakes exceed JavaScript's safe
integers). Every word goes through storage.search.text, the one tokenizer; the browser only
folds and splits the query to look words up in the lexicon.

Only what discussion search may find is indexed (storage.search.discussions.public_comments_on:
public, published, live threads with a summary page; no tombstones, nothing by a member who hid
their comments) and the summaries the site shows.

Incremental: the index is kept per unit (a summary, or a public thread's comments) in
`.anbot-web-index/` beside the manifest: each unit's version and its documents' keys. A build
re-reads only the units whose version changed, diffs their keys, and rewrites only the shards
holding a key or document that changed (Builder._write skips identical bytes anyway).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from storage.search.keys import stems
from storage.search.relevance import lead
from storage.search.text import fold, folded_words, stem
from web.files import write_atomic

__all__ = [
    "DOC_SHARDS",
    "KEY_SHARDS",
    "STATE_DIR",
    "Doc",
    "IndexState",
    "comment_doc",
    "shard_of",
    "summary_doc",
]

KEY_SHARDS = 256
DOC_SHARDS = 64
STATE_DIR = ".anbot-web-index"
FORMAT = "1"  # bump when keys or documents change shape: the next build indexes everything again
_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def shard_of(key: str, shards: int) -> int:
    """FNV-1a (32 bits) of the key's UTF-8 bytes modulo `shards`: search.js computes the same."""
    value = _FNV_OFFSET
    for byte in key.encode("utf-8"):
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value % shards


@dataclass(slots=True)
class Doc:
    """One searchable document: its keys and what a hit shows."""

    keys: list[str]
    lexicon: dict[str, str]  # folded word → stem, for the words it holds
    info: dict[str, str]


def _name(text: str | None) -> str:
    return " ".join(fold(text or "").split())


def _text_keys(texts: Iterable[str], keys: set[str], lexicon: dict[str, str]) -> None:
    for text in texts:
        for word in folded_words(text):
            lexicon[word] = stem(word)
            keys.add("w:" + lexicon[word])
        found = stems(text)
        keys.update(f"p:{a} {b}" for a, b in pairwise(found))


def comment_doc(*, author: str | None, content: str, created_at: str, path: str, title: str) -> Doc:
    keys: set[str] = set()
    lexicon: dict[str, str] = {}
    _text_keys([content], keys, lexicon)
    if _name(author):
        keys.add("b:" + _name(author))
    info = {"p": path, "t": title, "a": author or "someone", "d": created_at, "x": lead(content)}
    return Doc(sorted(keys), lexicon, info)


def summary_doc(
    *,
    title: str,
    authors: str | None,
    summarizer: str | None,
    section: str | None,
    summary: str,
    opinions: Sequence[Any],
    path: str,
    issue: str,
) -> Doc:
    keys: set[str] = set()
    lexicon: dict[str, str] = {}
    opinion_texts = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in opinions]
    fields = [title, authors or "", summarizer or "", section or "", summary, *opinion_texts]
    _text_keys(fields, keys, lexicon)
    if _name(summarizer):
        keys.add("z:" + _name(summarizer))
    info = {"p": path, "t": title, "i": issue, "x": lead(summary)}
    return Doc(sorted(keys), lexicon, info)


@dataclass
class IndexState:
    """The index kept beside the output: per unit its version and documents; the shards are
    read from and written to the output directory through `read` and the caller's writer."""

    root: Path  # OUTDIR
    versions: dict[str, str] = field(default_factory=dict)
    key_shards: dict[int, dict[str, Any]] = field(default_factory=dict)  # loaded, changed
    doc_shards: dict[int, dict[str, Any]] = field(default_factory=dict)
    touched_keys: set[int] = field(default_factory=set)
    touched_docs: set[int] = field(default_factory=set)
    fresh_build: bool = False  # no usable earlier index: every shard is written

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    def load(self) -> None:
        try:
            data = json.loads((self.state / "versions.json").read_text("utf-8"))
            ok = data.get("format") == FORMAT and isinstance(data.get("units"), dict)
            self.versions = {str(k): str(v) for k, v in data["units"].items()} if ok else {}
        except (OSError, ValueError, AttributeError):
            self.versions = {}

    def start_fresh(self) -> None:
        """Forget every earlier unit (a first build, or the index's format changed)."""
        self.fresh_build = True
        self.versions = {}
        if self.state.is_dir():
            for item in self.state.iterdir():
                if item.is_file():
                    item.unlink()

    def _unit_file(self, unit: str) -> Path:
        return self.state / f"{unit}.json"

    def _old_docs(self, unit: str) -> dict[str, Any]:
        try:
            docs = json.loads(self._unit_file(unit).read_text("utf-8"))
            return docs if isinstance(docs, dict) else {}
        except (OSError, ValueError):
            return {}

    def _key_shard(self, number: int) -> dict[str, Any]:
        return self._shard(self.key_shards, "k", number)

    def _doc_shard(self, number: int) -> dict[str, Any]:
        return self._shard(self.doc_shards, "d", number)

    def _shard(self, cache: dict[int, dict[str, Any]], kind: str, number: int) -> dict[str, Any]:
        if number not in cache:
            data: dict[str, Any] = {}
            if self.versions:  # an earlier index: its shard holds the other units' keys
                try:
                    data = json.loads(
                        (self.root / "search" / kind / f"{number}.json").read_text("utf-8")
                    )
                except (OSError, ValueError):
                    data = {}
            cache[number] = data if isinstance(data, dict) else {}
        return cache[number]

    def update(self, unit: str, version: str | None, docs: dict[str, Doc]) -> None:
        """Replace the unit's documents (None version: the unit is gone) and note the shards
        that changed."""
        old = self._old_docs(unit) if unit in self.versions else {}
        new = {name: {"k": doc.keys, "i": doc.info} for name, doc in docs.items()}
        for name in old.keys() | new.keys():
            before, after = old.get(name), new.get(name)
            old_keys = set(before["k"]) if before else set()
            new_keys = set(after["k"]) if after else set()
            for key in old_keys - new_keys:
                number = shard_of(key, KEY_SHARDS)
                shard = self._key_shard(number)
                postings = shard.get(key)
                if isinstance(postings, list) and name in postings:
                    postings.remove(name)
                    if not postings:
                        del shard[key]
                    self.touched_keys.add(number)
            for key in new_keys - old_keys:
                number = shard_of(key, KEY_SHARDS)
                shard = self._key_shard(number)
                shard.setdefault(key, []).append(name)
                self.touched_keys.add(number)
            if (before or {}).get("i") != (after or {}).get("i"):
                number = shard_of(name, DOC_SHARDS)
                shard = self._doc_shard(number)
                if after:
                    shard[name] = after["i"]
                else:
                    shard.pop(name, None)
                self.touched_docs.add(number)
        for doc in docs.values():  # the lexicon only grows: a word without documents is harmless
            for word, word_stem in doc.lexicon.items():
                key = "l:" + word
                number = shard_of(key, KEY_SHARDS)
                shard = self._key_shard(number)
                if shard.get(key) != word_stem:
                    shard[key] = word_stem
                    self.touched_keys.add(number)
        self.state.mkdir(parents=True, exist_ok=True)
        if version is None:
            self.versions.pop(unit, None)
            self._unit_file(unit).unlink(missing_ok=True)
        else:
            self.versions[unit] = version
            write_atomic(self._unit_file(unit), json.dumps(new, separators=(",", ":")).encode())

    def shards(self) -> list[tuple[str, bytes]]:
        """(relative path, bytes) of every shard that changed (every shard on a fresh index)."""
        out: list[tuple[str, bytes]] = []
        for kind, cache, count, touched in (
            ("k", self.key_shards, KEY_SHARDS, self.touched_keys),
            ("d", self.doc_shards, DOC_SHARDS, self.touched_docs),
        ):
            numbers = range(count) if self.fresh_build else sorted(touched)
            for number in numbers:
                data = cache.get(number, {})
                for value in data.values():
                    if isinstance(value, list):
                        value.sort()
                body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                out.append((f"search/{kind}/{number}.json", body.encode("utf-8")))
        return out

    def save(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "units": self.versions}
        write_atomic(self.state / "versions.json", json.dumps(data, sort_keys=True).encode())
