"""The grader's command line.

    python -m grader SUBMISSION [--results results.json] [--log FILE] [--skip-notebook]
    python -m grader batch SUBMISSIONS_DIR --out OUT_DIR [--jobs N] ...   (grader/batch.py)

(also installed as the `grader` command). SUBMISSION is what a student
uploads: their assignment folder, a folder holding it, a .zip of either, or
the notebook alone.
"""
import argparse
import sys

from . import config, inert
from . import results as results_mod
from .upload import EXIT, grade_upload

EPILOG = """\
subcommands:
  python -m grader SUBMISSION ...      grade one submission (this page)
  python -m grader batch --help        grade a whole class: a gradebook, feedback and a report

exit status:
  0  graded: results.json holds the grading
  1  the grader failed (results.json says so; not the student's fault)
  2  nothing to grade: the path does not exist, or the upload holds no usable file
     (results.json says what was missing or unusable)
  3  misconfigured: the sandbox for student code could not be set up here, so
     nothing ran (results.json says what to fix)
results.json is written in every case."""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["batch"]:
        from .batch import main as batch_main
        return batch_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m grader", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Grade one submission: a folder, a .zip of one, or "
                                                 "the notebook alone (python -m grader batch: a class).")
    parser.add_argument("submission", help="the student's folder (layers/ and classification_nn.ipynb), "
                                           "a folder or .zip holding it, or the notebook alone")
    parser.add_argument("--results", default="results.json", help="where to write results.json")
    parser.add_argument("--log", help="also write the grader's log (pytest output, worker prints) here")
    parser.add_argument("--skip-notebook", action="store_true",
                        help="run the layer checks only (seconds instead of minutes)")
    parser.add_argument("--cores", type=int, help="cores this grading may use (default: all it may "
                                                  "run on; a batch gives each grading its share)")
    args = parser.parse_args(argv)
    log = inert.Writer(open(args.log, "w")) if args.log else None  # student prints reach it
    try:
        results, status = grade_upload(args.submission, args.results, log=log,
                                       skip_notebook=args.skip_notebook, cores=args.cores)
    finally:
        if log:
            log.close()
    print(results_mod.feedback(results))
    print(f"results written to {args.results}")
    if status != "graded":
        print(f"{config.PROGRESS_PREFIX}{status} (exit status {EXIT[status]})", file=sys.stderr)
    return EXIT[status]


if __name__ == "__main__":
    sys.exit(main())
