"""Reporter text on its way to ClickUp, Slack and Discourse (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from tasks.reports.domain import (
    ProblemReport,
    clean_text,
    description,
    discourse_escape,
    discourse_title,
    report_id_in,
    slack_escape,
    slack_permalink,
    task_name,
)

REPORT = ProblemReport(
    id="r0123456789abcdef",
    problem_type="Equipment",
    area="Metal-Shop",
    shop="metal-shop",
    summary="Chuck key missing",
    asset="Metal Lathe - Grizzly",
    details="Line one\nLine two",
    created_at=datetime(2026, 9, 10, 23, 2, tzinfo=UTC),
)


def test_slack_control_characters_are_escaped():
    assert slack_escape("<!channel> a & b <http://x|y>") == "&lt;!channel&gt; a &amp; b &lt;http://x|y&gt;"


def test_discourse_markdown_and_mentions_are_defused():
    out = discourse_escape("# Title [link](http://x) @staff *bold* <img src=x>")
    assert "\\#" in out and "\\[link\\]\\(http://x\\)" in out
    assert "@\u200bstaff" in out and "\\*bold\\*" in out and "\\<img" in out


def test_clean_text_drops_control_and_bidi_characters_and_folds_spaces():
    assert clean_text("  a\u202eb\x00c \t d  ") == "abc d"
    assert clean_text("x\r\n\r\n\r\n\r\ny", multiline=True) == "x\n\ny"


def test_name_and_description_keep_todays_format_and_the_marker():
    assert task_name(REPORT) == "Metal Lathe - Grizzly - Chuck key missing"
    assert task_name(REPORT.with_changes(asset="")) == "Chuck key missing"
    text = description(REPORT)
    assert text.startswith("Problem Type: Equipment\nWorkspace:  Metal-Shop\nAsset:  Metal Lathe - Grizzly\n")
    assert "Additional Info:  Line one\nLine two\n" in text
    assert "Discourse Link: Opted Out. Slack notification Only." in text
    assert report_id_in(text) == REPORT.id
    assert report_id_in("voldash report: r0123 (someone typed this)") is None


def test_forum_title_and_slack_permalink():
    local = datetime(2026, 9, 10, 18, 2)
    assert discourse_title(REPORT, local_time=local) == "9/10/2026 1802 - Metal-Shop - Metal Lathe - Grizzly"
    assert (
        slack_permalink("https://asmbly-makerspace.slack.com/", "C063LH7MB45", "1503435956.000247")
        == "https://asmbly-makerspace.slack.com/archives/C063LH7MB45/p1503435956000247"
    )
