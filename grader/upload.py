"""Grade what a student uploaded: a folder, a zip of one, or the notebook alone.

    results = grade_upload(path, results_path, log=None, skip_notebook=False)

intake.py finds the submission in the upload (zips opened safely, subfolders
searched); grade.py grades it. An upload of the notebook without any layer
file runs, in the same grading, on the reference's layers in place of the
missing ones, and its layer checks score 0 saying why: the notebook is
graded, and no point is given for layer code the student did not write.

Whatever happens, a valid results dict comes back (and is written to
results_path, last), and `status` says how it ended (see EXIT).
"""
import tempfile
import time

from . import config, intake
from . import results as results_mod
from .grade import grade

# How `python -m grader` ends (the README lists them).
EXIT = {
    "graded": 0,             # results.json holds the grading
    "grader error": 1,       # results.json says the grader failed (not the student's fault)
    "nothing to grade": 2,   # results.json says what was missing or unusable in the upload
    "misconfigured": 3,      # results.json says the sandbox could not be set up here
}
NO_LAYERS_NOTE = {
    "stub": ("You uploaded the notebook without layers/, so the layer checks score 0 and your "
             "notebook ran with layer files that raise NotImplementedError: upload layers/ "
             "together with the notebook to have both graded."),
    "reference": ("You uploaded the notebook without layers/, so the layer checks score 0: "
                  "upload layers/ together with the notebook to have them graded. Your notebook "
                  "ran on the course's reference layers in place of yours."),
}


def grade_upload(path, results_path=None, log=None, skip_notebook=False, cores=None):
    """(results dict, status) for the upload at `path` (a folder or a .zip)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="upload-") as scratch:
        try:
            upload = intake.locate(path, scratch)
        except intake.UploadError as exc:
            results = results_mod.build([], str(exc), time.monotonic() - start,
                                        extra_data={"error": str(exc), "status": "nothing to grade"})
            if results_path:
                results_mod.write(results, results_path)
            return results, "nothing to grade"
        notes = list(upload.notes)
        if upload.notebook_only:
            notes.append(NO_LAYERS_NOTE[config.NOTEBOOK_ONLY_LAYERS])
        results = grade(upload.folder, results_path, log=log, skip_notebook=skip_notebook,
                        notebook_only=upload.notebook_only, notes=notes, cores=cores)
    return results, (results.get("extra_data") or {}).get("status", "graded")
