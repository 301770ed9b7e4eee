"""`qa chat` with the real models: through a pseudo-terminal, and piped."""

import json
import os
import subprocess
import sys

import pexpect

from .conftest import ROOT

ESC = r"(?:\x1b\[[0-9;]*m)*"  # style codes between the streamed answer and its markers
PROMPT = "qa>"  # prompt_toolkit draws the trailing space as a cursor move


def spawn(built, tmp_path, **extra: str) -> pexpect.spawn:
    env = {**os.environ, **built, **extra, "XDG_DATA_HOME": str(tmp_path / "data"), "NO_COLOR": "1",
           "PROMPT_TOOLKIT_NO_CPR": "1"}  # fmt: skip
    child = pexpect.spawn(
        sys.executable, ["-m", "qa", "chat"], cwd=str(ROOT), env=env, encoding="utf-8",
        timeout=90, dimensions=(40, 200),
    )  # fmt: skip
    child.expect_exact("qa chat")
    child.expect_exact(PROMPT)
    return child


def test_chat_in_a_terminal(built, tmp_path):
    child = spawn(built, tmp_path)
    child.sendline("How many Kinzhal missiles did Ukraine say it shot down over Kyiv?")
    child.expect(rf"six{ESC} \[1\]")
    child.expect(r"\[1\] 000_0d498ca450f5f7ad\.txt:\d+-\d+ \"")
    child.expect_exact(PROMPT)
    # "there" is the place the earlier question named
    child.sendline("And who is the mayor there?")
    child.expect(r"searching: .*Kyiv")
    child.expect(rf"Klitschko{ESC} \[1\]")
    child.expect(r"\[1\] 000_0d498ca450f5f7ad\.txt:31-31")
    child.expect_exact(PROMPT)
    child.sendline("/sources 1")
    child.expect(r"31 ▶ \S*Some debris fell")
    child.expect_exact(PROMPT)
    child.sendline("/nonsense")
    child.expect_exact("unknown command /nonsense: try /help")
    child.expect_exact(PROMPT)
    child.sendline("Who is the governor of the Belgorod region?")
    child.expect(rf"Gladkov{ESC} \[1\]")
    child.expect_exact(PROMPT)
    # "he" is the person only the earlier answer names
    child.sendline("What did he say had entered Russian territory?")
    child.expect(r"searching: What did \S+ Gladkov say had entered Russian territory\?")
    child.expect_exact(PROMPT)
    child.sendline("/why")
    child.expect(r"searched: What did \S+ Gladkov say")
    child.expect_exact(PROMPT)
    # a question that asks two things is asked as two, each answer with its own line
    child.sendline("Who is the mayor of Kyiv, and who is the governor of the Belgorod region?")
    child.expect(rf"Vitali Klitschko and Viacheslav Gladkov{ESC} \[1\] \[2\]")
    child.expect(r"asked in two parts: Who is the mayor of Kyiv\? · Who is the governor")
    child.expect(r"\[1\] 000_0d498ca450f5f7ad\.txt:31-31")
    child.expect(r"\[2\] 004_2675d70d740d79ff\.txt:40-40")
    child.expect_exact(PROMPT)
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "data" / "qa" / "chat_history").read_text()
    assert "Belgorod" in history


def test_ctrl_c_stops_a_streamed_answer(built, tmp_path):
    # the model reads every question and pauses after each token, so the answer is still being
    # written when Ctrl-C arrives, whatever the machine's speed
    child = spawn(built, tmp_path, QA_READER="model", QA_TOKEN_DELAY_MS="3000")
    child.sendline("How many Kinzhal missiles did Ukraine say it shot down over Kyiv?")
    # the first streamed token (dim) is on the screen; a dim "↳ searching" line is not a token
    child.expect("\x1b\\[2m[^↳]")
    child.delaybeforesend = 0
    child.sendcontrol("c")
    child.expect_exact("(stopped)")
    child.delaybeforesend = 0.05
    child.expect_exact(PROMPT)
    # the session goes on after the stop
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_d_and_ctrl_c_at_the_prompt_exit_cleanly(built, tmp_path):
    for key in ("d", "c"):
        child = spawn(built, tmp_path)
        child.sendcontrol(key)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, key


def test_piped_chat_answers_each_line_and_keeps_the_conversation(built):
    lines = (
        "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?\n"
        "And who is the mayor there?\n/reset\nAnd who is the mayor there?\n"
    )
    env = {**os.environ, **built}
    result = subprocess.run(
        [sys.executable, "-m", "qa", "chat", "--json"], input=lines, capture_output=True,
        text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 3
    assert "six" in answers[0]["answer"].lower()
    assert "Kyiv" in answers[1]["search_question"]
    assert "Klitschko" in answers[1]["answer"]
    assert answers[2]["search_question"] == ""  # after /reset nothing to lean on
    plain = subprocess.run(
        [sys.executable, "-m", "qa", "chat"], input=lines[:-1].rsplit("\n", 2)[0] + "\n",
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert "\x1b[" not in plain.stdout and "qa>" not in plain.stdout
    assert "[1] 000_0d498ca450f5f7ad.txt:" in plain.stdout
