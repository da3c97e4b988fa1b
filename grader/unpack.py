"""Extract a student's zip without trusting it.

Only the kinds of files the grader can use are extracted (.py and .ipynb):
students often zip their whole assignment folder, CIFAR-10 (~180 MB) and
checkpoints included, and the rest would only cost time and disk. A member
whose path leaves the destination (absolute, `..`, a drive), a link, an
encrypted member, or more data than the limits below stops the extraction with
an UnsafeArchive that says why; sizes are counted as bytes are written, so a
zip whose headers lie about sizes is caught too.
"""
import os
import stat
import zipfile

KEEP_SUFFIXES = (".py", ".ipynb")
MAX_MEMBERS = 20_000             # entries in the whole zip, kept or not
MAX_FILE_BYTES = 64 * 1024 ** 2  # one file: a notebook full of plots is a few MB
MAX_TOTAL_BYTES = 256 * 1024 ** 2
from .surface import NOISE as NOISE_DIRS  # folders that archivers add and nobody means to submit


class UnsafeArchive(Exception):
    """The zip cannot be (or must not be) extracted; the message is for the student."""


def _parts(name):
    """The path components of member `name`, or None if it would leave the destination."""
    name = name.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or not parts or ".." in parts or ":" in parts[0]:
        return None
    return parts


def _wanted(parts):
    return parts[-1].endswith(KEEP_SUFFIXES) and not NOISE_DIRS.intersection(parts[:-1])


def extract(archive, dest):
    """Extract the .py and .ipynb members of zip `archive` into folder `dest`.

    Returns the extracted paths relative to `dest`; raises UnsafeArchive.
    """
    label = os.path.basename(archive)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"{label} is not a readable zip file ({exc})") from None
    extracted, seen, total = [], set(), 0
    with zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise UnsafeArchive(f"{label} has {len(members)} entries (at most {MAX_MEMBERS})")
        for info in members:
            if info.is_dir():
                continue
            parts = _parts(info.filename)
            if parts is None:
                raise UnsafeArchive(f"{label} has an entry outside its own folder: {info.filename!r}")
            if not _wanted(parts):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UnsafeArchive(f"{label} has a symbolic link: {info.filename!r}")
            if info.flag_bits & 0x1:
                raise UnsafeArchive(f"{label} is password-protected ({info.filename!r})")
            if "/".join(parts) in seen:  # which of the two was meant cannot be known
                raise UnsafeArchive(f"{label} holds {'/'.join(parts)!r} twice: zip the folder again")
            target = os.path.join(dest, *parts)
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
            except OSError as exc:  # a file where a folder must be, a name too long, ...
                raise UnsafeArchive(f"{label}: {info.filename!r} could not be extracted "
                                    f"({_reason(exc)})") from None
            total += _copy_member(zf, info, target, label, MAX_TOTAL_BYTES - total)
            extracted.append("/".join(parts))
            seen.add(extracted[-1])
    return extracted


def _copy_member(zf, info, target, label, budget):
    """Write one member to `target`, stopping past the size limits; returns its size."""
    limit = min(MAX_FILE_BYTES, budget)
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise UnsafeArchive(
                        f"{label} is too large once extracted ({info.filename!r} or the whole "
                        f"exceeds {MAX_FILE_BYTES >> 20} MB per file, {MAX_TOTAL_BYTES >> 20} MB in all)")
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        # A damaged member, an unsupported compression method, a folder of the
        # same name, a name too long for the file system.
        raise UnsafeArchive(f"{label}: {info.filename!r} could not be extracted "
                            f"({_reason(exc)})") from None
    return written


def _reason(exc):
    """Why a member could not be written, in the student's terms."""
    import errno
    reasons = {errno.ENAMETOOLONG: "its name or path is too long",
               errno.EEXIST: "a file and a folder in the zip have the same name",
               errno.ENOTDIR: "a file and a folder in the zip have the same name",
               errno.EISDIR: "a file and a folder in the zip have the same name",
               errno.EILSEQ: "its name is not valid here"}
    return reasons.get(getattr(exc, "errno", None), str(exc))

