"""Run the public checks (reference/tests/, shipped to students) in an assignment folder."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree


def run_public_checks(assignment):
    """Run `python -m pytest tests` in `assignment` as a student would.

    Returns (exit code, {'module::test': (outcome, message)}, printed output);
    outcome is 'passed', 'failure', 'error' or 'skipped', and message is the
    first line pytest reports for it (the exception and the check's own words).
    """
    report = assignment / ".public-checks.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider",
         f"--junitxml={report}"],
        cwd=assignment, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        suite = ElementTree.parse(report).getroot().find("testsuite")
    finally:
        report.unlink(missing_ok=True)
    outcomes = {}
    for case in suite.iter("testcase"):
        # classname is the module's dotted path from pytest's rootdir, which differs
        # between the reference and a copy of the template: keep the module's name.
        module = case.get("classname").rsplit(".", 1)[-1]
        name = f"{module}::{case.get('name')}"
        problems = [child for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[name] = ((problems[0].tag, problems[0].get("message", "")) if problems
                          else ("passed", ""))
    return result.returncode, outcomes, result.stdout + result.stderr
