"""A local Discord-compatible server (REST + gateway on 127.0.0.1) for the unmodified
discord.py client: used by the tests and by ``anbot sandbox``.

Start here: ``sandbox.server.SandboxServer``, ``sandbox.demo.build_demo_world``,
``bot.discord_api.point_discord_at``, ``sandbox.testing.running_client``.
"""
