"""``python -m sandbox --port 8765``: the sandbox with the demo guild until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer


async def serve(host: str, port: int, token: str) -> None:
    world, demo = build_demo_world()
    server = SandboxServer(world, token=token)
    # Not `async with SandboxServer(...)`: entering it starts on a free port of 127.0.0.1 (what
    # tests want), not on the --host and --port asked for here.
    await server.start(host, port)
    try:
        print(f"ANBOT_DISCORD_API_BASE={server.api_base}")
        print(f"ANBOT_DISCORD_GATEWAY_URL={server.gateway_url}")
        print(f"DISCORD_TOKEN={server.token}")
        print(
            f"guild={demo.guild_id} forum={demo.forum_channel_id} text={demo.text_channel_id}",
            flush=True,
        )
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="sandbox-token")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
