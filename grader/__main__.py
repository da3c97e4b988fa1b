"""python -m grader SUBMISSION_DIR [--results results.json], or python -m grader batch ... (see grader/batch.py)"""
import argparse
import sys

from . import results as results_mod
from .grade import grade


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["batch"]:  # python -m grader batch ...: a whole class (grader/batch.py)
        from .batch import main as batch_main
        return batch_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade one submission folder.")
    parser.add_argument("submission", help="folder holding layers/ and classification_nn.ipynb")
    parser.add_argument("--results", default="results.json", help="where to write results.json")
    parser.add_argument("--log", help="also write the grader's log (pytest output, worker prints) here")
    parser.add_argument("--skip-notebook", action="store_true",
                        help="run the layer checks only (seconds instead of minutes)")
    args = parser.parse_args(argv)
    log = open(args.log, "w") if args.log else None
    try:
        results = grade(args.submission, args.results, log=log, skip_notebook=args.skip_notebook)
    finally:
        if log:
            log.close()
    print(results["output"])
    print()
    print(results_mod.table(results))
    for test in results["tests"]:
        if test["status"] != "passed" and test["output"]:
            print(f"\n{test['number']} {test['name']}:\n  " + test["output"].replace("\n", "\n  "))
    print(f"\nresults written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
