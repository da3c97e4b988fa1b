"""Check that this interpreter really satisfies what the pinned requirements ask of Python.

    python scripts/check_pins.py requirements.txt

setup.sh runs it with the autograder's venv right after installing the pins.
For every `name==version` line it reads the installed distribution's metadata
and checks (1) that the pinned version is the one installed and (2) that this
interpreter's full version, pre-release tag included, is inside the
distribution's Requires-Python. Exits 1 with one line per problem otherwise.

Why (2) is not redundant with pip: pip compares Requires-Python with only
major.minor.micro of the running interpreter, so a release candidate such as
3.11.0rc1 (Ubuntu 22.04's python3.11 package) passes as 3.11.0, although
3.11.0rc1 comes before 3.11 and does not satisfy ">=3.11" (PEP 440). Wheels
such as numpy's are built for and tested on final releases.
"""
import importlib.metadata
import re
import sys

# packaging comes with the pins (pytest requires it), so the venv has it.
from packaging.specifiers import InvalidSpecifier, SpecifierSet


def pins(text):
    """[(name, version)] of the `name==version` lines of a requirements file's text."""
    found = []
    for line in text.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)\s*(#.*)?", line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def pep440_version(info=sys.version_info):
    """This interpreter's version as PEP 440 spells it: '3.11.0rc1', '3.12.3'.

    Built from version_info, not platform.python_version(), which can carry a
    '+' that is no PEP 440 version (interpreters built between releases).
    """
    tags = {"alpha": "a", "beta": "b", "candidate": "rc"}
    tail = f"{tags[info.releaselevel]}{info.serial}" if info.releaselevel in tags else ""
    return f"{info.major}.{info.minor}.{info.micro}{tail}"


def python_fits(python_version, requires_python):
    """Whether `python_version` ('3.11.0rc1') is inside `requires_python` ('>=3.11'; None: any)."""
    if not requires_python:
        return True
    try:
        specifier = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True  # unreadable metadata is pip's problem, not a reason to refuse the build
    # prereleases=True: the interpreter is what it is; only the ordering matters here.
    return specifier.contains(python_version, prereleases=True)


def problems(requirements, python_version, metadata=importlib.metadata.metadata):
    """One message per pin that is not installed as pinned or does not accept this Python."""
    found = []
    for name, version in requirements:
        try:
            meta = metadata(name)
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name}=={version} is not installed")
            continue
        if meta["Version"] != version:
            found.append(f"{name}: {meta['Version']} is installed, not the pinned {version}")
        requires = meta.get("Requires-Python")
        if not python_fits(python_version, requires):
            found.append(f"{name}=={version} requires Python {requires}; this is Python {python_version}")
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        requirements = pins(f.read())
    version = pep440_version()
    found = problems(requirements, version)
    for line in found:
        print(f"check_pins: {line}", file=sys.stderr)
    if found:
        print(f"check_pins: Python {version} at {sys.executable} does not satisfy the pins "
              f"(see above)", file=sys.stderr)
        return 1
    print(f"check_pins: Python {version} satisfies all {len(requirements)} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
