"""config.fit_platform and the build: under a platform's own timeout (Gradescope's), the
grader's deadline and its backstop end first, so results.json is written by the grader."""
from grader import config
from gradescope import build


def test_the_deadline_and_the_backstop_end_before_gradescopes_default_timeout(monkeypatch):
    monkeypatch.setattr(config, "GRADING_DEADLINE", 1460.0)
    monkeypatch.setattr(config, "BACKSTOP_GRACE", 120.0)
    config.fit_platform(600)
    assert config.BACKSTOP_GRACE == 60
    assert config.GRADING_DEADLINE + config.BACKSTOP_GRACE + config.PLATFORM_MARGIN == 600


def test_a_platform_timeout_longer_than_the_graders_own_deadline_changes_nothing(monkeypatch):
    monkeypatch.setattr(config, "GRADING_DEADLINE", 1460.0)
    monkeypatch.setattr(config, "BACKSTOP_GRACE", 120.0)
    config.fit_platform(2400)
    assert (config.GRADING_DEADLINE, config.BACKSTOP_GRACE) == (1460.0, 120.0)


def test_run_autograder_is_built_with_the_assignments_timeout():
    assert f"--platform-timeout {config.PLATFORM_TIMEOUT:g} " in build.render("run_autograder", "3.10")
    assert "--platform-timeout 1200 " in build.render("run_autograder", "3.10", platform_timeout=1200)
