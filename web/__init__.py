"""The public web archive: summaries and their discussions as a read-only site.

web.site renders pages from the database (storage.web_archive decides what is public);
web.app serves them live with aiohttp (`anbot web`); web.build writes them as static files,
re-rendering only what changed (`anbot web build OUTDIR`). Templates and static files ship in
the package; the pages load nothing from anywhere else.
"""
