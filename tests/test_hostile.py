"""The grader against hostile submissions (tests/hostile/attacks.py).

Every selected attack is graded once with `python -m grader` (two at a time;
the fork bomb alone, after the others). For each: the grader exits 0 within
the attack's time budget, results.json exists and is a valid Gradescope
results file, exactly the expected checks lose points, no process of the
attack survives, and the attack's own postconditions hold (results not
forged, file size bounded, fake banner absent, ...).

Attacks that only the switch to an unprivileged user can stop are skipped when
this interpreter's grader cannot switch (e.g. a venv under /root, which the
sandbox user cannot execute). Attacks in KNOWN_HOLES get through today: they
are expected to fail exactly as recorded (xfail, strict) until the grader is
fixed. Run with -s to see the table; it is also written to hostile_report.txt
in the test's temporary folder. `python -m tests.hostile.report` prints the
same table.
"""
import os
import shutil
import sys
import tempfile
import time

import pytest

from tests.hostile.attacks import (ATTACKS, BY_NAME, KNOWN_HOLES, NOTEBOOK_CHECKS,
                                   Context, build)
from tests.hostile.report import POSTCONDITIONS, format_table, grade_all, user_switch
from tests.corpus.bugs import CHECKS

SWITCH, WHY_NO_SWITCH = user_switch()


class KnownHole(Exception):
    """The attack got through exactly as KNOWN_HOLES records."""


def _param(attack):
    marks = []
    if attack.slow:
        marks.append(pytest.mark.slow)
    if attack.user_switch and not SWITCH:
        marks.append(pytest.mark.skip(
            reason=f"only the switch to an unprivileged user stops this attack, and the grader run "
                   f"by {sys.executable} cannot switch: {WHY_NO_SWITCH[-200:]}"))
    if attack.name in KNOWN_HOLES:
        marks.append(pytest.mark.xfail(strict=True, raises=KnownHole,
                                       reason="known hole: " + KNOWN_HOLES[attack.name].what.split(": ")[0]))
    return pytest.param(attack.name, marks=marks, id=attack.name)


def _selected(session):
    """Names of the attacks the selected, not skipped, tests of this module need."""
    names = set()
    for item in session.items:
        if item.module.__name__ == __name__ and hasattr(item, "callspec") \
                and "attack" in item.callspec.params and not item.get_closest_marker("skip"):
            names.add(item.callspec.params["attack"])
    return [a for a in ATTACKS if a.name in names]


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    """{attack name: Outcome} for every selected attack, and the table."""
    attacks = _selected(request.session)
    # Not under pytest's tmp_path (0700 root): the sandbox user must reach the
    # attacks' evidence folders and the grader's TMPDIR.
    workdir = tempfile.mkdtemp(prefix="grader-hostile-")
    os.chmod(workdir, 0o711)
    start = time.monotonic()
    try:
        outcomes = grade_all(attacks, workdir, workers=2) if attacks else []
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = format_table(outcomes, time.monotonic() - start)
    path = tmp_path_factory.mktemp("hostile") / "hostile_report.txt"
    path.write_text(table + "\n")
    print(f"\n{table}\n(table written to {path})")
    return {o.attack.name: o for o in outcomes}, table


@pytest.mark.parametrize("attack", [_param(a) for a in ATTACKS])
def test_attack_is_graded_to_what_its_correct_parts_deserve(graded, attack):
    outcomes, table = graded
    outcome = outcomes[attack]
    details = "\n".join(f"  {kind}: {message}" for kind, message in outcome.problems)
    if outcome.hole:
        raise KnownHole(f"{attack}: {outcome.hole.what}\n{details}")
    assert not outcome.problems, (
        f"{attack} ({BY_NAME[attack].what}), graded with{'' if SWITCH else 'out'} the user switch:\n"
        f"{details}\n\n{table}")


def test_the_corpus_is_complete_and_consistent(tmp_path):
    names = [a.name for a in ATTACKS]
    assert len(names) == len(set(names)) and len(names) >= 17
    assert set(KNOWN_HOLES) <= set(names)
    for attack in ATTACKS:
        assert attack.expected() <= set(CHECKS) | set(NOTEBOOK_CHECKS), attack.name
        assert set(attack.post) <= set(POSTCONDITIONS), attack.name
        assert attack.budget > 0
    # Every attack builds (nothing is graded here).
    for attack in ATTACKS:
        base = tmp_path / attack.name
        ctx = Context(name=attack.name, marker="m", base=str(base),
                      tmp=str(tmp_path / "tmp"), cifar10=str(tmp_path / "cifar"))
        build(attack, ctx)
        assert os.path.isdir(os.path.join(ctx.submission, "layers")) or attack.symlinks, attack.name
        for rel in list(attack.replace) + list(attack.append) + list(attack.prepend):
            with open(os.path.join(ctx.submission, rel)) as f:
                source = f.read()
            assert "HOSTILE_" not in source, f"{attack.name}: placeholder left in {rel}"
            compile(source, rel, "exec")
