"""`anbot sandbox` as a newcomer runs it: a subprocess, its real output and files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CLI = "import sys; from bot.cli import app; app(sys.argv[1:])"


def test_sandbox_replies_in_the_right_threads_quietly_and_says_what_next(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANBOT_")}
    env.pop("DISCORD_TOKEN", None)
    env["TMPDIR"] = str(tmp_path)  # where the demo writes its export
    done = subprocess.run(
        [sys.executable, "-c", CLI, "sandbox"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "voice" not in done.stderr and "WARNING" not in done.stderr, done.stderr
    out = done.stdout
    # Each comment is in the thread of the summary it discusses, not all under HARK.
    agency = out.index("Comments in 'AN #56 · Agency Failure AI Apocalypse?' (1):")
    assert out.index("Stuart Armstrong: Relevant to Robin Hanson", agency) > agency
    training = out.index("Comments in 'AN #56 · Training human models is an unsolved problem' (3)")
    assert out.index("Charlie Steiner: Yay, I'm in the thing!", training) > training
    hark = out.index("Comments in 'AN #56 · HARK Side of Deep Learning")
    assert out.index("commenter A: Instead of preregistering", hark) > hark
    assert "Stuart Armstrong" not in out[hark:]
    # The closing summary: what happened, where the export is, what to try next.
    assert "opened 12 forum threads" in out and "9 forum comments" in out
    paths = [Path(p) for p in re.findall(r"^\s+(/\S+\.(?:md|html))$", out, re.MULTILINE)]
    assert len(paths) == 2 and all(p.is_file() and tmp_path in p.parents for p in paths)
    html = next(p for p in paths if p.suffix == ".html").read_text("utf-8")
    assert "anbot:pub" not in html and "<strong>" in html and "**" not in html
    assert "anbot sandbox --keep-running" in out
    assert "DISCORD_TOKEN" in out and "anbot run" in out
