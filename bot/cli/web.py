"""`anbot web` (serve the public archive live) and `anbot web build OUTDIR` (static files).

Both read ANBOT_DATABASE_URL, the database the bot writes. Heavy imports (aiohttp app, Jinja2,
Markdown) happen inside the commands so `anbot --help` stays light. Failures are one line on
stderr and exit code 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_BASE = "http://127.0.0.1:8080"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    web_app = typer.Typer(help="The public web archive of published discussions.")
    app.add_typer(web_app, name="web")

    @web_app.callback(invoke_without_command=True)
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8080,
        base_url: Annotated[
            str | None, typer.Option(help="Public URL of the site (canonical links, feed)")
        ] = None,
    ) -> None:
        """Serve the archive (read-only) from the bot's database."""
        if ctx.invoked_subcommand is not None:
            return
        import asyncio

        from web.serve import serve_forever

        try:
            asyncio.run(serve_forever(host, port, base_url or f"http://{host}:{port}"))
        except KeyboardInterrupt:
            pass
        except Exception as exc:  # one line, no traceback (unreachable database, port taken)
            raise _fail(str(exc)) from None

    @web_app.command("build")
    def build(
        outdir: Annotated[Path, typer.Argument(help="Directory to write the site into")],
        base_url: Annotated[
            str, typer.Option(help="Public URL the site will be served from")
        ] = DEFAULT_BASE,
    ) -> None:
        """Write the archive as static files; later builds rewrite only changed pages."""
        import asyncio

        from web.serve import build_once

        try:
            report = asyncio.run(build_once(outdir, base_url))
        except Exception as exc:  # BuildError, DatabaseUnavailable, OSError: one line
            raise _fail(str(exc)) from None
        typer.echo(
            f"wrote {len(report.written)} files, removed {len(report.removed)}, "
            f"{report.unchanged} unchanged ({report.rendered} pages rendered) in {outdir}"
        )
