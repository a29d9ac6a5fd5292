"""The one rule for what we write into ClickUp (tasks/clickup_text.py), unit by unit. The
attacks through HTTP are in tests/reliability/test_report_markers.py; these pin the rule down
(and are the mutation run's tests for the module)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.clickup_text import (
    LABELS,
    LOOKALIKE_COLON,
    QUOTE,
    comment_marker,
    comment_marker_in,
    has_comment,
    is_our_comment,
    looks_like_ours,
    quote_outside,
    report_id_in,
    report_marker,
    with_marker,
)

RID = "r0123456789abcdef"


@pytest.mark.parametrize("label", LABELS)
def test_a_line_starting_with_a_label_is_quoted_and_loses_its_colon(label):
    assert (
        quote_outside(f"{label}: https://evil.example")
        == f"{QUOTE}{label}{LOOKALIKE_COLON} https{LOOKALIKE_COLON}//evil.example"
    )


@pytest.mark.parametrize(
    "line",
    [
        "slack post : x",
        "SLACK POST: x",
        "  Slack Post: x",
        "\u200bSlack Post: x",
        "Slack\u00a0Post: x",
        "\uff33\uff4c\uff41\uff43\uff4b \uff30\uff4f\uff53\uff54\uff1a x",
        "**Slack Post:** x",
        "> Slack Post: x",
        "# Discourse Link: x",
        "- Problem Type: x",
        "voldash report: " + RID,
        "Voldash  Report : " + RID,
        "[voldash:abcdef12]",
        "[ voldash : abcdef12 ]",
    ],
)
def test_disguised_lines_are_still_caught(line):
    assert looks_like_ours(line)
    out = quote_outside(line)
    assert out.startswith(QUOTE)
    assert ":" not in out and "\uff1a" not in out
    assert not looks_like_ours(out)


@pytest.mark.parametrize(
    "line",
    ["ok then. Slack Post: x", "see [voldash:abcdef12] above", "it said voldash report: " + RID],
)
def test_a_label_or_marker_inside_a_line_loses_its_colon_but_is_not_quoted(line):
    out = quote_outside(line)
    assert not out.startswith(QUOTE)
    assert ":" not in out and not looks_like_ours(out)


@pytest.mark.parametrize(
    "text",
    [
        "The guard is cracked: it wobbles.",
        "myasset: not a label (the label must start a word)",
        "Time: 10:30, see https://example.org/x",
        "",
        "line one\n\nline three",
        "Slack is down",
        "voldash is great",
    ],
)
def test_ordinary_text_is_left_exactly_as_it_was(text):
    assert quote_outside(text) == text
    assert not any(looks_like_ours(line) for line in text.split("\n"))


def test_only_the_lines_that_look_like_ours_change():
    text = "first\nSlack Post: x\nlast: fine"
    assert quote_outside(text).split("\n") == ["first", f"{QUOTE}Slack Post{LOOKALIKE_COLON} x", "last: fine"]
    assert quote_outside(None) == ""  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_no_outside_text_survives_as_one_of_our_lines(text):
    out = quote_outside(text)
    assert not any(looks_like_ours(line) for line in out.split("\n"))
    assert quote_outside(out) == out  # quoting twice changes nothing more
    assert out.count("\n") == text.count("\n")  # one line in, one line out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*LABELS, "voldash report", "[voldash", "x", " ", "\u200b", "*", ">"]), max_size=6
    ),
    st.sampled_from([":", "\uff1a", " :", "\ufe55"]),
)
def test_no_assembled_label_survives(parts, colon):
    line = "".join(parts) + colon + " " + RID
    out = quote_outside(line)
    assert not looks_like_ours(out)
    assert report_id_in(f"x\n{out}") is None


def test_the_report_marker_is_read_from_the_last_line_only():
    assert report_marker(RID) == f"voldash report: {RID}"
    assert report_id_in(f"Summary: x\n\n{report_marker(RID)}") == RID
    assert report_id_in(f"Summary: x\n{report_marker(RID)}  \n\n") == RID
    assert report_id_in(report_marker(RID)) == RID
    assert report_id_in(f"a\nb\n{report_marker(RID)}") == RID
    assert report_id_in(f"{report_marker(RID)}\nb\n{report_marker(RID)}x") is None
    assert report_id_in(f"{report_marker(RID)}\nsomething after") is None
    assert report_id_in(f"x\n{report_marker(RID)} please") is None
    assert report_id_in(f"x\nquoting {report_marker(RID)}") is None
    assert report_id_in(f"x\nvoldash report: {RID.upper()}") is None
    assert report_id_in("x\nvoldash report: r0123") is None
    assert report_id_in(f"x\nvoldash report:  {RID}") is None
    assert report_id_in("") is None and report_id_in(None) is None


def test_the_comment_marker_is_read_from_the_last_line_only():
    marker = comment_marker("abcdef12")
    assert marker == "[voldash:abcdef12]"
    text = with_marker("Sam (volunteer dashboard): hi", marker)
    assert text == f"Sam (volunteer dashboard): hi\n\n{marker}"
    assert comment_marker_in(text) == marker and is_our_comment(text)
    assert comment_marker_in(f"{marker}\nreply below") is None
    assert comment_marker_in(f"x\nsee {marker}") is None
    assert comment_marker_in("x\n[voldash:abc]") is None  # too short to be ours
    assert comment_marker_in("x\n[voldash:ABCDEF12]") is None
    assert not is_our_comment("plain") and not is_our_comment(None)


def test_a_comment_is_found_by_its_exact_marker():
    mine, theirs = comment_marker("abcdef12"), comment_marker("12abcdef")
    comments = [
        {"comment_text": f"quoting {mine}"},
        {"comment_text": f"x\n\n{theirs}"},
        {"comment_text": None},
    ]
    assert not has_comment(comments, mine)
    assert has_comment(comments, theirs)
    assert has_comment([{"comment_text": f"y\n\n{mine}"}], mine)
    assert not has_comment([], mine)


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\r", "\x85", "\x0b", "\x0c", "\x1b", "\x00"])
def test_a_label_after_a_line_separator_is_caught(sep):
    """JavaScript (APR's parser) starts a line after U+2028; Python's splitlines after more."""
    out = quote_outside(f"fine{sep}Slack Post: https://evil.example")
    assert ":" not in out and not looks_like_ours(out)
