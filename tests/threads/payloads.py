"""Hostile strings for the HTML export: each tries to run script or change the page if it
reached the browser unescaped. Shared by the parser test and the headless-browser test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from threads.model import CommentRecord, Revision, ThreadInfo

PWN = "document.title='PWNED';document.body.setAttribute('data-pwned','1')"

PAYLOADS = [
    f"<script>{PWN}</script>",
    f'<img src=x onerror="{PWN}">',
    "<style>body{display:none}</style>",
    f'"><svg onload="{PWN}">',
    f"'><svg/onload={PWN}>",
    "<a href=\"javascript:document.title='PWNED'\">click</a>",
    "javascript:document.title='PWNED'",
    f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
    '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/pwned">',
    "<script>location='http://127.0.0.1:9/pwned'</script>",
    f'<details open ontoggle="{PWN}">x</details>',
    f'<body onload="{PWN}">',
    "</article></div></main><h1 id=pwned>PWNED</h1>",
    f'https://example.org/ok"onmouseover="{PWN}',
    "<!-- open comment",
]

BAD_URLS = [
    "javascript:document.title='PWNED'",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    f'https://cdn.example.org/a.png"><script>{PWN}</script>',
    f'http://x.test/" onerror="{PWN}',
]

T0 = datetime(2024, 6, 1, tzinfo=UTC)
SAFE_TITLE = "Thread export"


def hostile_thread() -> tuple[ThreadInfo, list[CommentRecord]]:
    rows: list[CommentRecord] = []
    for n, payload in enumerate(PAYLOADS):
        cid = 1000 + n
        rows.append(
            CommentRecord(
                id=cid,
                parent_id=None if n % 3 == 0 else 1000 + n - 1,
                author_id=n,
                author_name=payload,
                content=f"before {payload} after\n{payload}",
                created_at=T0 + timedelta(minutes=n),
                edited_at=T0 + timedelta(hours=1) if n % 2 else None,
                attachments=(payload, *BAD_URLS),
                revisions=(Revision(payload, T0 + timedelta(hours=1)),),
                score=n,
            )
        )
    info = ThreadInfo(id=77, title=SAFE_TITLE, url="javascript:document.title='PWNED'")
    return info, rows


def hostile_title_thread() -> tuple[ThreadInfo, list[CommentRecord]]:
    _info, rows = hostile_thread()
    return ThreadInfo(id=78, title=f"</title>{PAYLOADS[0]}", url=BAD_URLS[4]), rows


# The same attacks inside the Markdown constructs the HTML export now renders.
MARKDOWN_PAYLOADS = [
    f"[click](javascript:{PWN})",
    f"[click](<javascript:{PWN}>)",
    f'**[bold link](https://ok.example/"onmouseover="{PWN})**',
    f'<https://x.test/"onmouseover="{PWN}>',
    f"`<script>{PWN}</script>`",
    f"```html\n<script>{PWN}</script>\n```",
    f'> <img src=x onerror="{PWN}">',
    f'>>> <svg onload="{PWN}">',
    f'||<svg onload="{PWN}">||',
    f"||[spoiled](javascript:{PWN})||",
    f"-# <script>{PWN}</script>",
    f'# <img src=x onerror="{PWN}">',
    f'- <details open ontoggle="{PWN}">x</details>',
    f'__<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>__',
    f"<@1><t:1700000000:R><#2><@&3> <script>{PWN}</script>",
]


def hostile_markdown_thread() -> tuple[ThreadInfo, list[CommentRecord]]:
    rows = [
        CommentRecord(
            id=2000 + n,
            parent_id=None,
            author_id=n + 1,
            author_name=f"member {n}",
            content=payload,
            created_at=T0 + timedelta(minutes=n),
        )
        for n, payload in enumerate(MARKDOWN_PAYLOADS)
    ]
    return ThreadInfo(id=2, title=SAFE_TITLE), rows
