"""discord.py extensions: each module has `async def setup(bot)` adding its cog."""
