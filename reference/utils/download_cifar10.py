"""Put CIFAR-10 (python version) where `get_cifar10_data` finds it.

    python -m utils.download_cifar10 [--source ARCHIVE_OR_FOLDER] [--sha256 HEX] [--dest DIR]

Without --source it downloads the official archive and checks the official md5.
With --source it takes a local `cifar-10-python.tar.gz` or an extracted
`cifar-10-batches-py` folder. A local archive must match the official md5 or a
sha256 given with it: --sha256, $CIFAR10_SHA256, or a SHA256SUMS file beside it.
Defaults come from $CIFAR10_SOURCE, $CIFAR10_SHA256 and $CIFAR10_DIR.
"""
import argparse
import hashlib
import os
import pickle
import shutil
import sys
import tarfile
import tempfile
import urllib.request

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
BATCH_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
               "data_batch_5", "test_batch")
ARCHIVE_DIR = "cifar-10-batches-py"
FETCH_COMMAND = "python -m utils.download_cifar10"


class DataError(Exception):
    """CIFAR-10 is missing or damaged; the message says what to run."""


def how_to_fetch():
    """Words for an error message: run FETCH_COMMAND, and in which folder.

    The folder is the one holding utils/: a student's assignment folder (which
    has no Makefile), or reference/ in the course repository (whose `make data`
    runs the same command).
    """
    assignment = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return f"run `{FETCH_COMMAND}` in {assignment} (`--help` shows its options)"


def default_dest():
    """$CIFAR10_DIR, else the course's <assignment>/datasets/cifar-10/cifar-10-batches-py."""
    env = os.environ.get("CIFAR10_DIR")
    if env:
        return os.path.abspath(env)
    assignment = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(assignment, "datasets", "cifar-10", ARCHIVE_DIR)


def missing_batches(folder):
    """Names of the six batch files that `folder` lacks."""
    return [name for name in BATCH_FILES if not os.path.isfile(os.path.join(folder, name))]


def _digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha256_beside(archive):
    """The sha256 that a SHA256SUMS file next to `archive` lists for it, if any."""
    sums = os.path.join(os.path.dirname(os.path.abspath(archive)), "SHA256SUMS")
    if not os.path.isfile(sums):
        return None
    with open(sums) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("*") == os.path.basename(archive):
                return parts[0].lower()
    return None


def verify_archive(archive, sha256=None):
    """Raise DataError unless `archive` matches `sha256` (if given) or the official md5."""
    if not os.path.isfile(archive):
        raise DataError(f"CIFAR-10 archive not found: {archive}")
    if sha256:
        got = _digest(archive, "sha256")
        if got != sha256.lower():
            raise DataError(
                f"{archive} is damaged or not the expected file: sha256 {got}, expected {sha256}. "
                "Download it again (a truncated download looks like this).")
        return
    got = _digest(archive, "md5")
    if got != OFFICIAL_MD5:
        raise DataError(
            f"{archive} does not match the official CIFAR-10 md5 ({got} != {OFFICIAL_MD5}). "
            "It is truncated, damaged, or a different copy: download it again, or give "
            "its sha256 with --sha256 / $CIFAR10_SHA256 / a SHA256SUMS file beside it.")


def check_batch(path):
    """Raise DataError unless `path` unpickles to a CIFAR-10 batch of uint8 rows of 3072."""
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        data, labels = batch[b"data"], batch[b"labels"]
        ok = data.dtype.name == "uint8" and data.ndim == 2 and data.shape[1] == 3072 \
            and len(labels) == data.shape[0]
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("numpy"):
            raise DataError(f"{path} is not a readable CIFAR-10 batch ({exc}). "
                            f"Delete {os.path.dirname(path)} and {how_to_fetch()}.") from None
        # Arrays pickled by numpy 2 name numpy._core, which numpy before 1.26 lacks.
        import numpy
        raise DataError(f"{path} was saved by a newer numpy than this Python's numpy "
                        f"{numpy.__version__} ({exc}); the file itself is fine. Upgrade numpy: "
                        "python -m pip install --upgrade numpy") from None
    except Exception as exc:  # any other unpickling failure means a damaged file
        raise DataError(f"{path} is not a readable CIFAR-10 batch ({type(exc).__name__}): the "
                        f"file is damaged. Delete {os.path.dirname(path)} and {how_to_fetch()}."
                        ) from None
    if not ok:
        raise DataError(f"{path} does not hold CIFAR-10 data (uint8 rows of 3072 and labels). "
                        f"Delete {os.path.dirname(path)} and {how_to_fetch()}.")


def _download(url, target):
    shown = False  # whether a progress line is on stderr

    def progress(blocks, block_size, total):
        nonlocal shown
        shown = True
        done = blocks * block_size
        if total > 0:
            pct = min(100.0, 100.0 * done / total)
            sys.stderr.write(f"\rdownloading CIFAR-10: {pct:5.1f}% of {total / 1e6:.0f} MB")
        else:
            sys.stderr.write(f"\rdownloading CIFAR-10: {done / 1e6:.0f} MB")
        sys.stderr.flush()

    try:
        urllib.request.urlretrieve(url, target, reporthook=progress)
    except OSError as exc:
        raise DataError(f"could not download {url}: {exc}. Without internet, give a local "
                        "copy: --source PATH or $CIFAR10_SOURCE.") from None
    finally:
        if shown:  # end the progress line; a bare newline would precede "error: ..."
            sys.stderr.write("\n")


def _extract(archive, dest):
    """Extract the six batches of `archive` into `dest`, replacing it atomically."""
    parent = os.path.dirname(dest) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".cifar10-", dir=parent)
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                # Regular files directly in cifar-10-batches-py/ only: no links,
                # devices or paths that climb out of the staging folder.
                members = [m for m in tar.getmembers()
                           if m.isfile() and os.path.dirname(m.name) == ARCHIVE_DIR]
                if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: belt and braces
                    tar.extractall(staging, members=members, filter="data")
                else:
                    tar.extractall(staging, members=members)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DataError(f"{archive} could not be extracted ({exc}); download it again.") from None
        extracted = os.path.join(staging, ARCHIVE_DIR)
        _check_folder(extracted, what=f"the archive {archive}")
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        os.replace(extracted, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_folder(folder, what):
    missing = missing_batches(folder)
    if missing:
        raise DataError(f"{what} lacks {', '.join(missing)}; it is not a complete CIFAR-10.")
    for name in BATCH_FILES:
        check_batch(os.path.join(folder, name))


def fetch(dest=None, source=None, sha256=None):
    """Make `dest` hold the six verified batch files; return `dest`.

    source: None (download), a .tar.gz archive, or a folder of batch files.
    """
    dest = os.path.abspath(dest or default_dest())
    if source is None and not missing_batches(dest):
        return dest  # already there: nothing to download
    if source is None:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        fd, archive = tempfile.mkstemp(suffix=".tar.gz", dir=os.path.dirname(dest))
        os.close(fd)
        try:
            _download(URL, archive)
            verify_archive(archive)
            _extract(archive, dest)
        finally:
            os.remove(archive)
        return dest
    if os.path.isdir(source):
        folder = source
        if os.path.isdir(os.path.join(source, ARCHIVE_DIR)):
            folder = os.path.join(source, ARCHIVE_DIR)
        _check_folder(folder, what=f"the folder {source}")
        if os.path.abspath(folder) != dest:
            os.makedirs(dest, exist_ok=True)
            # dest no longer holds what an earlier archive put there: forget its stamp.
            if os.path.isfile(os.path.join(dest, ".source")):
                os.remove(os.path.join(dest, ".source"))
            for name in BATCH_FILES + ("batches.meta",):
                if os.path.isfile(os.path.join(folder, name)):
                    shutil.copyfile(os.path.join(folder, name), os.path.join(dest, name))
        return dest
    if not os.path.exists(source):
        raise DataError(f"CIFAR-10 source not found: {source}")
    sha256 = sha256 or _sha256_beside(source)
    if not missing_batches(dest) and _stamp(dest) == _stamp_for(source, sha256):
        return dest  # this very archive was extracted here before
    verify_archive(source, sha256)
    _extract(source, dest)
    with open(os.path.join(dest, ".source"), "w") as f:
        f.write(_stamp_for(source, sha256))
    return dest


def _stamp_for(source, sha256):
    st = os.stat(source)
    return f"{os.path.abspath(source)} {st.st_size} {int(st.st_mtime)} {sha256 or OFFICIAL_MD5}\n"


def _stamp(dest):
    try:
        with open(os.path.join(dest, ".source")) as f:
            return f.read()
    except OSError:
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--source", default=os.environ.get("CIFAR10_SOURCE") or None,
                        help="local archive or extracted folder (default: download)")
    parser.add_argument("--sha256", default=os.environ.get("CIFAR10_SHA256") or None,
                        help="expected sha256 of a local archive that is not the official one")
    parser.add_argument("--dest", default=None,
                        help="folder for the batch files (default: $CIFAR10_DIR or the course path)")
    args = parser.parse_args(argv)
    try:
        dest = fetch(args.dest, args.source, args.sha256)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"CIFAR-10 ready in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
