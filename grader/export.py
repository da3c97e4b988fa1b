"""Who submitted what, from a Gradescope export's submission_metadata.yml.

"Export Submissions" gives a folder of submission_<id>/ folders beside a
submission_metadata.yml that Gradescope writes with Ruby's YAML, like:

    submission_123:
      :submitters:
      - :name: Jane Doe
        :sid: '12345'
        :email: jane@example.edu
      :created_at: 2024-01-01 10:00:00.000000000 -08:00
      :score: 10.0

PyYAML is not among the grader's dependencies, and only this much is needed,
so a tolerant line reader takes the top-level keys and the name, sid and email
of each submitter under `:submitters:`; anything else is skipped, and a file
it cannot make sense of gives no names rather than an error.
"""
import os
import re

METADATA = "submission_metadata.yml"
FIELDS = ("name", "sid", "email")
KEY_VALUE = re.compile(r"^:?([A-Za-z_]+):(?:\s+(.*))?$")


def _scalar(text):
    """A YAML scalar's value: quotes removed, YAML's '' and \\" unescaped."""
    text = (text or "").strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def parse(text):
    """{submission folder: [{"name", "sid", "email"}, ...]} from the metadata's text."""
    found, current, block, person = {}, None, None, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:  # a submission: "submission_123:"
            current = _scalar(line[:-1]) if line.endswith(":") else None
            if current:
                found[current] = []
            block = person = None
            continue
        if current is None:
            continue
        # Ruby writes a list at its key's indentation: the block ends at the
        # next line that is that shallow and not a list item.
        if block is not None and indent <= block and not line.startswith("- "):
            block = person = None
        if block is None:
            match = KEY_VALUE.match(line)
            if match and match.group(1) == "submitters" and not match.group(2):
                block = indent
            continue
        if line.startswith("- "):
            person = {}
            found[current].append(person)
            line = line[2:].strip()
        match = KEY_VALUE.match(line)
        if person is not None and match and match.group(1) in FIELDS:
            person[match.group(1)] = _scalar(match.group(2))
    return found


def read(folder):
    """parse() of `folder`/submission_metadata.yml, or {} if there is none."""
    path = os.path.join(folder, METADATA)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse(f.read())
    except OSError:
        return {}


def submitters(metadata, submission):
    """{"name", "sid", "email"} of `submission`, each joined with '; ' for a group."""
    people = metadata.get(submission, [])
    return {key: "; ".join(p[key] for p in people if p.get(key)) for key in FIELDS}
