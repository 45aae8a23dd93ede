"""`/an search … scope:discussions`: the public comments matching a query, as one embed.

The same search as the web archive's (storage.search.discussions: public, published, live threads
only; comments hidden by their authors left out), so Discord never shows more of a hidden
channel than the web does.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.commands.lookup import COLOUR, EMBED_TITLE, thread_ref
from bot.errors import UserFacingError
from bot.publish.render import cut
from storage.db import Database
from storage.search.discussions import search_discussions
from storage.search.query import QuerySyntaxError, parse_query

PAGE = 8


async def answer_discussions(
    interaction: discord.Interaction[Any], db: Database, text: str
) -> None:
    try:
        query = parse_query(text, discussions=True)
    except QuerySyntaxError as exc:
        raise UserFacingError(
            f'I couldn\'t read that search: {exc}. Use words, "exact phrases", -excluded and '
            'filters like by:"Rohin Shah" (the commenter), in:"summary title", issue:56.'
        ) from exc
    page = await search_discussions(db, query, limit=PAGE)
    if not page.hits:
        raise UserFacingError(
            f"No public comments match `{text[:200]}`. Try fewer words or drop a filter."
        )
    more = " (newest first; more in the web archive)" if page.next_before else ""
    embed = discord.Embed(
        title=cut(f"Discussions: {text}", EMBED_TITLE),
        colour=COLOUR,
        description=f"{len(page.hits)} comment{'s' if len(page.hits) != 1 else ''}{more}",
    )
    for hit in page.hits:
        value = f"{cut(hit.snippet, 600)}\nThread: {thread_ref(hit.thread_id)}"
        name = cut(f"{hit.author_name} on {hit.summary_title}", EMBED_TITLE)
        embed.add_field(name=name, value=value[:1024], inline=False)
    await interaction.response.send_message(
        embed=embed, allowed_mentions=discord.AllowedMentions.none()
    )
