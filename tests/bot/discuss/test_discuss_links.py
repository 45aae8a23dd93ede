"""A discussion opened with `/an discuss` links the summaries it cross-references, each to that
summary's own post: an issue mention ("[ambitious value learning](url) ([AN #31](url))") to the
summary of AN #31 it names, not to whichever AN #31 post came first; a database reference
(`<@…@>(@Title@)`) to the titled summary's post. Through the sandbox, on both backends, with
the real summaries database."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from storage.db import Database
from storage.importer import import_database
from storage.models import Summary
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.discuss.test_discuss import _discussions_forum, _forum, discuss

DATA = Path(__file__).resolve().parents[2] / "data"
# All of AN #31 (the database's "Email" column): the first is opened first, so a link to "the
# issue's first post" would point at it.
UNRELATED = "Decision Theory"
NAMED = "What is ambitious value learning?"
TITLED = "Assessing Generalization in Deep Reinforcement Learning"
# AN #41: "… (as opposed to [ambitious value learning](…) ([AN #31](…)), where …"
MENTIONS = "What is narrow value learning?"
# AN #50: "<@Assessing Generalization in Deep Reinforcement Learning@>"
REFERS = "Assessing Generalization in Deep Reinforcement Learning (blog post)"


async def _open(env: BotEnv, title: str) -> tuple[str, str]:
    """Open `title`'s discussion: (its thread's URL, the post's text, all its messages)."""
    async with env.db.session() as s:
        found = (await s.exec(select(Summary).where(Summary.title == title))).all()
    assert len(found) == 1, (title, found)
    answer = await discuss(env, "mira", f"id:{found[0].id}")
    url = re.search(r"https://discord\.com/channels/\d+/(\d+)", answer.content)
    assert url is not None, answer.content
    messages = env.server.world.messages_in(int(url.group(1)))
    return url.group(0), "\n\n".join(m["content"] for m in messages)


async def test_the_post_links_each_referenced_summary_to_its_own_post(db: Database) -> None:
    await import_database(db, DATA / "an-summaries-database.csv")
    async with make_bot_env(db, feed=None, prepare=_discussions_forum, discuss_cooldown=0.0) as env:
        await env.server.act_as("mira").run_command(
            env.demo.text_channel_id, "an feed discuss_channel", {"channel": str(_forum(env))}
        )
        unrelated, _ = await _open(env, UNRELATED)
        named, _ = await _open(env, NAMED)
        titled, _ = await _open(env, TITLED)

        _, mentions = await _open(env, MENTIONS)
        assert "[ambitious value learning](https://www.alignmentforum.org/posts/5eX8" in mentions
        assert f"[AN #31](<{named}>)" in mentions, mentions
        assert unrelated not in mentions

        _, refers = await _open(env, REFERS)
        assert f"[{TITLED}](<{titled}>)" in refers, refers
        assert len(env.posts(_forum(env))) == 5
