"""Regenerate the feed fixtures in tests/data/feeds/ (run: python -m tests.feeds.make_fixtures).

an-56.html is AN #56 as a Mailchimp e-mail (see an_render); an.atom and an.rss carry it and
AN #55 (rebuilt from the CSV) the way the newsletter's feeds did; generic.rss is an ordinary
blog feed with no newsletter layout.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from tests.feeds.an_render import DATA, render_csv_issue, render_seed_issue, rows_by_issue

OUT = DATA / "feeds"
AN56_TITLE = "[AN #56]: Should ML researchers stop running experiments before making hypotheses?"
AN55_TITLE = (
    "[AN #55]: Regulatory markets and international standards as a means of ensuring beneficial AI"
)
AN56_URL = "https://mailchi.mp/ec3e6ab7b7d2/an-56-should-ml-researchers-stop-running-experiments"
AN55_URL = "https://mailchi.mp/a6fa47ab9b27/an-55-regulatory-markets"


def issues() -> list[tuple[str, str, str, str, str]]:
    """(guid, title, link, RFC 3339 date, RFC 822 date, html) newest first."""
    an55 = render_csv_issue("AN #55", rows_by_issue()["AN #55"])
    return [
        ("tag:alignment-newsletter,2019:an-56", AN56_TITLE, AN56_URL,
         "2019-05-13T16:00:00Z", "Mon, 13 May 2019 16:00:00 +0000", render_seed_issue()),
        ("tag:alignment-newsletter,2019:an-55", AN55_TITLE, AN55_URL,
         "2019-05-06T16:00:00+00:00", "Mon, 06 May 2019 16:00:00 GMT", an55),
    ]  # type: ignore[list-item]  # fmt: skip


def atom() -> str:
    entries = "".join(
        f"""
  <entry>
    <id>{guid}</id>
    <title>{escape(title)}</title>
    <link rel="alternate" type="text/html" href="{link}"/>
    <published>{iso}</published>
    <updated>{iso}</updated>
    <author><name>Rohin Shah</name></author>
    <content type="html">{escape(body)}</content>
  </entry>"""
        for guid, title, link, iso, _rfc, body in issues()
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Alignment Newsletter</title>
  <link rel="alternate" href="https://rohinshah.com/alignment-newsletter/"/>
  <id>tag:alignment-newsletter,2018:feed</id>
  <updated>2019-05-13T16:00:00Z</updated>{entries}
</feed>
"""


def rss() -> str:
    items = "".join(
        f"""
    <item>
      <title>{escape(title)}</title>
      <link>{link}</link>
      <guid isPermaLink="true">{link}</guid>
      <pubDate>{rfc}</pubDate>
      <description>{escape(title)}</description>
      <content:encoded><![CDATA[{body}]]></content:encoded>
    </item>"""
        for _guid, title, link, _iso, rfc, body in issues()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Alignment Newsletter</title>
    <link>https://rohinshah.com/alignment-newsletter/</link>
    <description>A weekly publication with recent content relevant to AI alignment</description>
    <lastBuildDate>Mon, 13 May 2019 16:00:00 +0000</lastBuildDate>{items}
  </channel>
</rss>
"""


GENERIC = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Example engineering blog</title>
    <link>https://blog.example.org/</link>
    <description>Posts about databases and caching</description>
    <item>
      <title>Why we moved to write-ahead logging</title>
      <link>https://blog.example.org/posts/wal</link>
      <guid isPermaLink="false">post-1042</guid>
      <pubDate>Tue, 02 Jan 2024 09:30:00 +0100</pubDate>
      <author>ops@example.org (Dana Ops)</author>
      <description><![CDATA[<p>Readers no longer block writers.
        <a href="/posts/wal-numbers">The numbers</a> are in a follow-up.</p>
        <script>alert(1)</script><p>Second paragraph with <em>emphasis</em>.</p>]]></description>
    </item>
    <item>
      <title>Cache invalidation, again</title>
      <link>https://blog.example.org/posts/cache</link>
      <pubDate>Mon, 01 Jan 2024 08:00:00 GMT</pubDate>
      <description>Plain text body, no markup &amp; no guid.</description>
    </item>
    <item>
      <title>Untitled note without link or guid</title>
      <pubDate>Sun, 31 Dec 2023 23:59:59 -0500</pubDate>
      <description>Only a title and a date identify this entry.</description>
    </item>
  </channel>
</rss>
"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    (OUT / "an-56.html").write_text(render_seed_issue(), encoding="utf-8")
    (OUT / "an.atom").write_text(atom(), encoding="utf-8")
    (OUT / "an.rss").write_text(rss(), encoding="utf-8")
    (OUT / "generic.rss").write_text(GENERIC, encoding="utf-8")


if __name__ == "__main__":
    main()
