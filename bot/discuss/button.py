"""The "Discuss" button: a persistent button (its custom id names the summary) that opens the
summary's discussion, pressed on `/an summary` answers and under search hits ("Discuss 3" for
hit 3), by anyone, even after a restart."""

from __future__ import annotations

import re
from typing import Any

import discord

Interaction = discord.Interaction[Any]


class DiscussButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"an:discuss:(?P<id>[0-9]{1,18})"
):
    def __init__(self, summary_id: int, *, label: str = "Discuss", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"an:discuss:{summary_id}",
            ),
            row=row,
        )
        self.summary_id = summary_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DiscussButton:
        label = getattr(item, "label", None) or "Discuss"
        return cls(int(match["id"]), label=label)

    async def callback(self, interaction: Interaction) -> None:
        cog: Any = getattr(interaction.client, "get_cog", lambda _name: None)("DiscussCog")
        if cog is None:
            await interaction.response.send_message(
                "Discussions cannot be opened right now.", ephemeral=True
            )
            return
        await cog.open(interaction, self.summary_id)


def discuss_view(summary_id: int) -> discord.ui.View:
    """A view with the Discuss button for one summary (no timeout: the button is persistent)."""
    view = discord.ui.View(timeout=None)
    view.add_item(DiscussButton(summary_id))
    return view
