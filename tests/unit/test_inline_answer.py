"""reference/utils/inline_answer.py: which options an answer picks (the cases real students
write are in test_notebook_read.py; these are answers that discuss first and declare after)."""
from utils.inline_answer import choices


def test_a_declaration_after_a_discussion_is_the_answer():
    assert choices("Adding hidden units (2) makes the model overfit more. The best options are 1 and 3.") == {1, 3}
    assert choices("More hidden units (2) would make it worse. My answer is 1 and 3.") == {1, 3}
    assert choices("2 would overfit. I choose 1 and 3.") == {1, 3}


def test_an_answer_first_is_not_overridden_by_what_follows():
    assert choices("1 and 3. I would not choose 2 because it overfits.") == {1, 3}
    assert choices("Your answer: 1, 3. If I chose 2 the gap widens.") == {1, 3}
    assert choices("3. The best options are not 2 or 4.") == {3}


# An outside attack's parentheticals and asides: the choice is the leading list, the aside
# discusses; an option judged bad in the same breath is not chosen; "all except"; words.
import pytest  # noqa: E402


@pytest.mark.parametrize("answer", [
    "1 and 3 (adding more hidden units does not help).", "1, 3 (2 increases the gap)",
    "1,3 -- 2 would overfit", "2 is wrong. 1 and 3.", "1 and 3 (4 is false since 1 and 3 work)",
    "1, 3 \u2014 2 increases capacity, 4 is wrong.", "All except 2 and 4.", "Options one and three.",
    "(1) and (3)"])
def test_asides_and_words_do_not_add_options(answer):
    assert choices(answer) == {1, 3}
