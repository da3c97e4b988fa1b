"""Steps several checks share: run a probe on both sides, compare, explain."""
from grader import config, gradient
from grader.compare import describe_mismatch
from grader.runners import StudentError, WorkerFailure


def run_student(report, label, student, probe, args=None, hint=None, **arrays):
    """The student's answer, or None after recording a failed part `label` if their code raised.

    hint: a function of the answer (None here) giving a sentence that names the likely
    cause of the error ("" for none): a broadcast error alone does not say it.

    A WorkerFailure (crash, timeout) is recorded too, then ends the whole check:
    the next call would most likely fail the same slow way.
    """
    try:
        return student.run(probe, args, **arrays)
    except StudentError as exc:
        trace = exc.trace.rstrip().splitlines()
        if trace and str(exc).endswith(trace[-1].strip()):  # the traceback's last line is the error again
            trace = trace[:-1]
        cause = hint(None) if hint else ""
        said = f"{label}: {exc}".rstrip()
        if cause:
            said += f"{'' if said.endswith('.') else '.'} {cause[0].upper()}{cause[1:]}"
        report.part(label, False, "\n".join([said, *trace]).rstrip())
        if exc.phase and not exc.phase.startswith(("import ", "find class ")):
            return None
        exc.recorded = True  # a module that does not import fails every case alike
        raise
    except WorkerFailure as exc:
        report.part(label, False, f"{label}: {exc}")
        exc.recorded = True
        raise


def same_as_reference(report, label, student, reference, probe, args, key, rtol,
                      hint=None, **arrays):
    """One part: the student's `key` output of `probe` on `arrays` matches the reference's.

    hint: a function of the student's value giving a sentence to add when it does
    not match ("" for none). Returns the student's answer, or None if their code raised.
    """
    want = reference.run(probe, args, **arrays)[key]
    got = run_student(report, label, student, probe, args, hint, **arrays)
    if got is not None:
        problem = describe_mismatch(label, got.get(key), want, rtol)
        if problem and hint and hint(got.get(key)):
            problem += ": " + hint(got.get(key))
        report.part(label, problem is None, problem or "")
    return got


def gradient_parts(report, layer, names, cases, student, reference, hints):
    """Backward against the reference on every case: one part per gradient in `names`.

    cases: list of (description, inputs dict including dout). hints: gradient
    name -> sentence added to its failure message.
    """
    problems = {name: None for name in names}
    for description, inputs in cases:
        want = reference.run("layer", {"layer": layer}, **inputs)
        got = run_student(report, f"{layer}.backward on {description}", student,
                          "layer", {"layer": layer}, **inputs)
        if got is None:
            return
        for name in names:
            if problems[name] is None:
                problem = describe_mismatch(f"{layer}.backward: {name}", got.get(name),
                                            want[name], config.BACKWARD_RTOL)
                if problem:
                    problems[name] = f"{problem} on {description}. {hints.get(name, '')}".strip()
    for name in names:
        report.part(name, problems[name] is None, problems[name] or "")


def numeric_note(report, layer, student, inputs):
    """Compare the student's backward with the numerical gradient of their own forward.

    Only feedback, never a score: a forward bug would otherwise cost the
    backward check too. So nothing the student's code does here (raise, hang,
    crash) can change the check's score: it only loses the note. (That the
    reference passes the same comparison is a test of ours, tests/unit/test_gradient.py,
    not something to redo for every student.)
    """
    grad_inputs = {k: v for k, v in inputs.items() if k != "dout"}
    try:
        got = student.run("layer", {"layer": layer}, **inputs)
        numeric = gradient.layer_gradients(student, layer, inputs["dout"], **grad_inputs)
    except (StudentError, WorkerFailure, ValueError):
        return
    for name, value in numeric.items():
        problem = describe_mismatch(name, got.get(name), value, config.NUMERIC_RTOL)
        if problem:
            report.note(f"Your {layer}.backward against the numerical gradient of your own "
                        f"{layer}.forward: {problem}.")
