"""Paging buttons for long answers (search results, an issue's summaries).

Pages are rendered on demand by a callback, so a 400-result search never builds 80 embeds.
Only the member who ran the command can page (`interaction_check`); the buttons disappear when
the view times out. custom_ids are namespaced `an:pager:<nonce>:prev|next` so they can never
collide with another view's buttons.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import discord

PageRenderer = Callable[[int], Awaitable[discord.Embed]]


class Pager(discord.ui.View):
    def __init__(
        self,
        *,
        owner_id: int,
        page_count: int,
        render: PageRenderer,
        timeout: float = 300.0,
    ) -> None:
        super().__init__(timeout=timeout)
        if page_count < 1:
            raise ValueError("a pager needs at least one page")
        self.owner_id = owner_id
        self.page_count = page_count
        self.page = 0
        self.render = render
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None
        nonce = secrets.token_hex(6)
        self.previous.custom_id = f"an:pager:{nonce}:prev"
        self.next.custom_id = f"an:pager:{nonce}:next"
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.page_count - 1

    async def first_page(self) -> discord.Embed:
        return await self._render()

    async def _render(self) -> discord.Embed:
        embed = await self.render(self.page)
        embed.set_footer(text=f"Page {self.page + 1} of {self.page_count}")
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
        await interaction.response.edit_message(embed=await self._render(), view=self)

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
        if self.message is not None:
            # The message may be gone or the token expired: then there is nothing to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)


async def send_paged(
    interaction: discord.Interaction[Any],
    *,
    page_count: int,
    render: PageRenderer,
    ephemeral: bool = False,
    view_timeout: float = 300.0,
) -> Pager | None:
    """Answer with page 1; add the buttons only when there is more than one page."""
    if page_count <= 1:
        embed = await render(0)
        await _send(interaction, embed=embed, ephemeral=ephemeral)
        return None
    pager = Pager(
        owner_id=interaction.user.id, page_count=page_count, render=render, timeout=view_timeout
    )
    embed = await pager.first_page()
    await _send(interaction, embed=embed, view=pager, ephemeral=ephemeral)
    pager.message = await interaction.original_response()
    return pager


async def _send(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
