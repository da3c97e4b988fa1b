"""python -m gradescope.autograde UPLOAD --results FILE [--skip-notebook] [--log FILE]

What run_autograder runs on Gradescope for every submission: grades the upload
(/autograder/submission) with grader/upload.py, as `python -m grader UPLOAD`
does, and always ends with status 0 once results.json is written (Gradescope
reads the file, not the status; a broken installation is caught by
run_autograder itself). It prints the checks' table, as `python -m grader` does,
since Gradescope shows the instructor this output.
"""
import argparse
import sys
import time

from grader import config, inert
from grader import results as results_mod
from grader.upload import grade_upload


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gradescope.autograde",
                                     description="Grade an upload (a folder or a .zip) as Gradescope does.")
    parser.add_argument("upload", help="the uploaded folder (/autograder/submission) or a .zip")
    parser.add_argument("--results", required=True, help="where to write results.json")
    parser.add_argument("--skip-notebook", action="store_true", help="run the layer checks only")
    parser.add_argument("--log", help="the grader's log (pytest output, student prints)")
    parser.add_argument("--platform-timeout", type=float, default=config.PLATFORM_TIMEOUT,
                        help="seconds Gradescope allows a grading (its autograder timeout); "
                             "the grader ends before it, results written")
    args = parser.parse_args(argv)
    # Containers on one Gradescope host share its uids: a fixed sandbox uid would be one
    # process count and one signal domain for all of them (config.SANDBOX_UID_POLICY).
    config.SANDBOX_UID_POLICY = "random"
    config.fit_platform(args.platform_timeout)
    start = time.monotonic()
    log = inert.Writer(open(args.log, "w")) if args.log else None  # student prints reach it
    try:
        results, _ = grade_upload(args.upload, args.results, log=log, skip_notebook=args.skip_notebook)
    except Exception as exc:  # a bug of ours must still leave the student a results.json
        message = f"The autograder failed (not because of your submission; please tell the course staff): {exc!r}"
        results = results_mod.build([], message, time.monotonic() - start, extra_data={"error": message})
        results_mod.write(results, args.results)
    finally:
        if log:
            log.close()
    # Gradescope shows the instructor this stdout, not grader.log: the table is built
    # from the grader's own check names and scores, never from student text.
    if results.get("tests"):
        print(results_mod.table(results))
    print(f"score {results['score']:g}; results written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
