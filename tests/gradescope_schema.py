"""The shape of a Gradescope results.json, as a JSON Schema (from Gradescope's
autograder specification), so tests can validate what the grader writes."""
import jsonschema

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}

TEST = {
    "type": "object",
    "required": ["name", "score", "max_score", "status", "output", "visibility"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "number": {"type": "string"},
        "score": {"type": "number", "minimum": 0},
        "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": VISIBILITY,
        "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}

RESULTS = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": TEST},
        "leaderboard": {"type": "array"},
    },
    "additionalProperties": False,
}


def validate(results):
    """Raise jsonschema.ValidationError unless `results` is a valid results.json;
    also check that each test's score is at most its max_score and that they add up."""
    jsonschema.validate(results, RESULTS)
    for test in results["tests"]:
        assert test["score"] <= test["max_score"] + 1e-9, test
    total = sum(t["score"] for t in results["tests"])
    assert abs(results["score"] - total) < 1e-6, (results["score"], total)
