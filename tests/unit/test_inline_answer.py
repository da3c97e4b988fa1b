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
