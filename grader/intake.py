"""From what a student uploaded to the folder the grader grades.

Students upload the notebook alone, the notebook with layers/ and utils/, their
assignment folder (so everything sits in a subfolder), or a zip of any of
these. The grader finds a submission up to three folders down by itself
(grader.submission.find_root); here zips are opened, and an upload with the
notebook but no layer file at all is recognised as "notebook only".
"""
import os
import stat
from dataclasses import dataclass, field

from .submission import MAX_FILE_BYTES, NOISE, NOTEBOOK, STUDENT_LAYER_FILES, find_root, plain_file

from . import unpack


class UploadError(Exception):
    """Nothing gradable could be taken from the upload; the message says why."""


@dataclass
class Upload:
    folder: str                                  # what to give the grader
    notes: list = field(default_factory=list)    # what was done, for the student

    @property
    def root(self):
        """The folder inside `folder` that holds layers/ or the notebook."""
        return find_root(self.folder)

    @property
    def notebook_only(self):
        """The notebook was uploaded without any of the layer files."""
        root = self.root
        return os.path.isfile(os.path.join(root, NOTEBOOK)) and not any(
            os.path.isfile(os.path.join(root, rel)) for rel in STUDENT_LAYER_FILES)


def gradable(folder):
    """Whether `folder` (or a folder up to three levels below) holds layers/ or the notebook."""
    root = find_root(folder)
    return os.path.isdir(os.path.join(root, "layers")) or os.path.isfile(os.path.join(root, NOTEBOOK))


def _zips(folder, depth=3):
    """Zip files in `folder` and its subfolders up to `depth` levels down, shallowest first."""
    found, level = [], [folder]
    for _ in range(depth + 1):
        below = []
        for path in level:
            for name in sorted(os.listdir(path)):
                full = os.path.join(path, name)
                if name in NOISE or name.startswith(".") or os.path.islink(full):
                    continue
                if os.path.isdir(full):
                    below.append(full)
                elif name.lower().endswith(".zip"):
                    found.append(full)
        level = below
    return found


def _from_zip(archive, scratch, index):
    """Extract `archive` into a fresh folder under `scratch`; return that folder."""
    dest = os.path.join(scratch, f"zip{index}")
    os.makedirs(dest)
    unpack.extract(archive, dest)
    return dest


def locate(upload, scratch):
    """An Upload for `upload` (a folder, or a .zip file), its notebook found under
    another name too (adopt_notebook); zips are extracted under `scratch`."""
    return adopt_notebook(_locate(upload, scratch), scratch)


def _other_notebooks(root):
    """The .ipynb files directly in `root` other than the course's: regular files, not
    links, within the notebook's size cap."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    return [n for n in names if n.endswith(".ipynb") and n != NOTEBOOK and not n.startswith(".")
            and plain_file(root, n)]


def _copy_plain(source, target, limit):
    """Copy regular file `source` (no link followed, no fifo waited on) of at most `limit` bytes."""
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise UploadError(f"{os.path.basename(source)} is not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"{os.path.basename(source)} is larger than {limit} bytes")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(data)


def adopt_notebook(upload, scratch):
    """`upload` with its notebook under the course's name: a browser saves a second
    download as "classification_nn (1).ipynb", and students rename theirs. One other
    .ipynb where the course's is missing is the notebook (the notes say so); several,
    none of them the course's, is refused, naming them."""
    root = upload.root
    if plain_file(root, NOTEBOOK):
        return upload
    others = _other_notebooks(root)
    if not others:
        return upload
    if len(others) > 1:
        raise UploadError(f"Your upload holds several notebooks ({', '.join(others)}) and none is "
                          f"named {NOTEBOOK}: rename the one to grade {NOTEBOOK}.")
    note = f"Graded {others[0]} as the notebook (the course names it {NOTEBOOK})."
    if os.path.commonpath([os.path.abspath(root), os.path.abspath(scratch)]) == os.path.abspath(scratch):
        os.rename(os.path.join(root, others[0]), os.path.join(root, NOTEBOOK))  # our own extraction
        return Upload(upload.folder, upload.notes + [note])
    # The upload itself is left as it is: the files the grader takes, copied beside it.
    folder = os.path.join(scratch, "renamed")
    for rel in STUDENT_LAYER_FILES:
        if plain_file(root, rel):
            _copy_plain(os.path.join(root, rel), os.path.join(folder, rel), MAX_FILE_BYTES[".py"])
    _copy_plain(os.path.join(root, others[0]), os.path.join(folder, NOTEBOOK), MAX_FILE_BYTES[".ipynb"])
    return Upload(folder, upload.notes + [note])


def _locate(upload, scratch):
    """An Upload for `upload` (a folder, or a .zip file); zips are extracted under `scratch`.

    Loose files win over zips when they are gradable; otherwise the first zip
    (shallowest, then by name) holding a submission is graded. Raises
    UploadError when a zip was the only hope and could not be used.
    """
    if os.path.isfile(upload):
        if not upload.lower().endswith(".zip"):
            raise UploadError(f"{os.path.basename(upload)} is neither a folder nor a .zip file")
        try:
            return Upload(_from_zip(upload, scratch, 0),
                          [f"Graded the contents of {os.path.basename(upload)}."])
        except unpack.UnsafeArchive as exc:
            raise UploadError(f"Your zip could not be used: {exc}.") from None
    if not os.path.isdir(upload):
        raise UploadError(f"No submission was found ({upload} does not exist).")
    if gradable(upload):
        return Upload(upload)
    problems = []
    for index, archive in enumerate(_zips(upload)):
        name = os.path.relpath(archive, upload)
        try:
            folder = _from_zip(archive, scratch, index)
        except unpack.UnsafeArchive as exc:
            problems.append(str(exc))
            continue
        if gradable(folder):
            return Upload(folder, [f"Graded the contents of {name}."])
        problems.append(f"{name} holds neither layers/ nor {NOTEBOOK}")
    if problems:
        raise UploadError("Your zip could not be used: " + "; ".join(problems) + ".")
    return Upload(upload)  # nothing recognisable: the grader says what it did not find
