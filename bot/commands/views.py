"""Buttons for long answers: paging (search results, an issue's summaries) and "More".

Pages are rendered on demand by a callback, so a 400-result search never builds 80 embeds.
Only the member who ran the command can page (`interaction_check`); the buttons disappear when
the view times out. custom_ids are namespaced `an:pager:<nonce>:prev|next` so they can never
collide with another view's buttons.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.replies import in_time, send

PageRenderer = Callable[[int], Awaitable[discord.Embed]]
# The buttons that belong to one page (Discuss on each search hit), asked for after the page is
# rendered; persistent items (DynamicItem), so they outlive the pager and anyone may press them.
PageItems = Callable[[int], Sequence[discord.ui.Item[Any]]]


class ExpiringView(discord.ui.View):
    """A view whose own buttons expire, beside persistent ones (DynamicItem: Discuss) that stay.

    When a view holding a DynamicItem stops, discord.py's ViewStore.remove_view forgets that
    item's class for every message, so no Discuss button anywhere would answer again: on
    timeout the classes are registered again with `client` (set by whoever sends the view).
    """

    client: discord.Client | None = None

    def keep_persistent_items(self) -> None:
        kinds = {type(i) for i in self.children if isinstance(i, discord.ui.DynamicItem)}
        if self.client is not None and kinds:
            self.client.add_dynamic_items(*kinds)


class Pager(ExpiringView):
    def __init__(
        self,
        *,
        owner_id: int,
        page_count: int,
        render: PageRenderer,
        timeout: float = 300.0,
        items: PageItems | None = None,
    ) -> None:
        super().__init__(timeout=timeout)
        if page_count < 1:
            raise ValueError("a pager needs at least one page")
        self.owner_id = owner_id
        self.page_count = page_count
        self.page = 0
        self.render = render
        self.items = items
        self._page_items: list[discord.ui.Item[Any]] = []
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None
        nonce = secrets.token_hex(6)
        self.previous.custom_id = f"an:pager:{nonce}:prev"
        self.next.custom_id = f"an:pager:{nonce}:next"
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.page_count - 1

    async def first_page(self, rendered: discord.Embed | None = None) -> discord.Embed:
        return await self._render(rendered)

    async def _render(self, rendered: discord.Embed | None = None) -> discord.Embed:
        embed = rendered if rendered is not None else await self.render(self.page)
        embed.set_footer(text=f"Page {self.page + 1} of {self.page_count}")
        if self.items is not None:
            for item in self._page_items:
                self.remove_item(item)
            self._page_items = list(self.items(self.page))
            for item in self._page_items:
                self.add_item(item)
        return embed

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to the member who ran the command; run it yourself to page.",
            ephemeral=True,
        )
        return False

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = max(0, min(self.page_count - 1, self.page + step))
        self._sync_buttons()
        # Rendering a page may wait on the database: past the deadline, defer and edit after.
        embed = await in_time(interaction, self._render(), update=True)
        if interaction.response.is_done():
            await interaction.edit_original_response(embed=embed, view=self)
        else:
            await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]
    ) -> None:
        await self._turn(interaction, +1)

    async def on_timeout(self) -> None:
        self.keep_persistent_items()
        if self.message is not None:
            # Paging expires; the page's persistent buttons (Discuss) stay. The message may be
            # gone or the token expired: then there is nothing to tidy.
            self.remove_item(self.previous)
            self.remove_item(self.next)
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self if self.children else None)


class MoreView(ExpiringView):
    """A "More" button under a short public answer: whoever presses it gets the whole text,
    privately (the channel is not flooded, and the answer's first lines stay on top)."""

    def __init__(self, pages: list[discord.Embed], *, timeout: float = 600.0) -> None:
        super().__init__(timeout=timeout)
        self.pages = pages
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None
        self.more.custom_id = f"an:more:{secrets.token_hex(6)}"

    @discord.ui.button(label="More", style=discord.ButtonStyle.primary)
    async def more(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[MoreView]
    ) -> None:
        # One embed per message: a long summary's parts together could pass 6,000 characters.
        await interaction.response.send_message(embed=self.pages[0], ephemeral=True)
        for page in self.pages[1:]:
            await interaction.followup.send(embed=page, ephemeral=True)

    async def on_timeout(self) -> None:
        self.keep_persistent_items()
        if self.message is not None:
            # Only "More" expires; a persistent button beside it (Discuss) stays.
            self.remove_item(self.more)
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self if self.children else None)


async def send_paged(
    interaction: discord.Interaction[Any],
    *,
    page_count: int,
    render: PageRenderer,
    ephemeral: bool = False,
    view_timeout: float = 300.0,
    first: discord.Embed | None = None,
    items: PageItems | None = None,
) -> Pager | None:
    """Answer with page 1 (`first`, when the caller rendered it already, in time); add the
    paging buttons only when there is more than one page, and `items(page)` (persistent
    buttons of the page's own, such as Discuss) under every page."""
    if page_count <= 1:
        embed = first if first is not None else await render(0)
        extra = list(items(0)) if items is not None else []
        if not extra:
            await send(interaction, embed=embed, ephemeral=ephemeral)
            return None
        view = discord.ui.View(timeout=None)
        for item in extra:
            view.add_item(item)
        await send(interaction, embed=embed, view=view, ephemeral=ephemeral)
        return None
    pager = Pager(
        owner_id=interaction.user.id,
        page_count=page_count,
        render=render,
        timeout=view_timeout,
        items=items,
    )
    pager.client = interaction.client
    embed = await pager.first_page(first)
    await send(interaction, embed=embed, view=pager, ephemeral=ephemeral)
    pager.message = await interaction.original_response()
    return pager
