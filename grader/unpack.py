"""Extract a student's zip without trusting it.

Only the kinds of files the grader can use are extracted (.py and .ipynb):
students often zip their whole assignment folder, CIFAR-10 (~180 MB) and
checkpoints included, and the rest would only cost time and disk. A member
whose path leaves the destination (absolute, `..`, a drive), a link, an
encrypted member, or more data than the limits below stops the extraction with
an UnsafeArchive that says why; sizes are counted as bytes are written, so a
zip whose headers lie about sizes is caught too.

A zip that is damaged in any way (a name that is not valid UTF-8, corrupt
compressed data, an unsupported compression method, a truncated file, ...)
also ends in an UnsafeArchive: whatever the zipfile module or a decompressor
raises while the archive is read is the upload's fault, and the student is
told which member and why. Only MemoryError, and OSErrors that mean the
grader's own disk is failing (full, read-only, I/O error), propagate.
"""
import errno
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
    except Exception as exc:  # the central directory is damaged, a name is not UTF-8, ...
        if isinstance(exc, _GRADERS_FAULT) or _machine_fault(exc):
            raise
        raise UnsafeArchive(f"{label} is not a readable zip file ({_damage(exc)})") from None
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
    with _reading(label, info):
        src = zf.open(info)
    with src:
        with _writing(label, info):
            out = open(target, "wb")
        with out:
            while True:
                with _reading(label, info):
                    chunk = src.read(1 << 20)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise UnsafeArchive(
                        f"{label} is too large once extracted ({info.filename!r} or the whole "
                        f"exceeds {MAX_FILE_BYTES >> 20} MB per file, {MAX_TOTAL_BYTES >> 20} MB in all)")
                with _writing(label, info):
                    out.write(chunk)
    return written


# Not the upload's fault: these propagate (KeyboardInterrupt and SystemExit are
# not Exceptions and are never caught here).
_GRADERS_FAULT = (MemoryError,)
_MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO,
                             errno.EMFILE, errno.ENFILE, errno.ENOMEM})


def _machine_fault(exc):
    """Whether `exc` is the grader's disk or process failing rather than the zip."""
    return isinstance(exc, OSError) and exc.errno in _MACHINE_ERRNOS


class _reading:
    """Any exception reading member `info` (opening it, decompressing it) becomes an UnsafeArchive."""

    def __init__(self, label, info):
        self.label, self.info = label, info

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if (not isinstance(exc, Exception) or isinstance(exc, (UnsafeArchive,) + _GRADERS_FAULT)
                or _machine_fault(exc)):
            return False  # no exception, or one that is not the zip's fault
        raise UnsafeArchive(f"{self.label}: {self.info.filename!r} could not be extracted "
                            f"({_damage(exc)})") from None


class _writing(_reading):
    """An OSError writing member `info` becomes an UnsafeArchive, unless the grader's disk is at fault."""

    def __exit__(self, kind, exc, tb):
        if not isinstance(exc, OSError) or _machine_fault(exc):
            return False
        raise UnsafeArchive(f"{self.label}: {self.info.filename!r} could not be extracted "
                            f"({_reason(exc)})") from None


def _damage(exc):
    """What is wrong with the zip's data, from what reading it raised, in the student's terms."""
    import lzma
    import zlib
    detail = str(exc)
    if len(detail) > 200:
        detail = detail[:200] + "..."
    if isinstance(exc, UnicodeDecodeError):
        return "a file name in it is marked as UTF-8 but is not valid UTF-8; zip the folder again"
    if isinstance(exc, NotImplementedError):
        return (f"it uses a compression method the grader cannot read ({detail}); "
                "zip the folder again with ordinary (deflate) compression")
    if isinstance(exc, RuntimeError) and ("encrypted" in detail or "password" in detail):
        return "it is password-protected; zip the folder again without a password"
    if isinstance(exc, EOFError):
        return "the zip is cut short (truncated); zip the folder again and upload the whole file"
    if isinstance(exc, OSError) and exc.errno == errno.EINVAL:  # a seek before the file's start
        return f"it is damaged: an offset in it points outside the file ({detail}); zip the folder again"
    if isinstance(exc, OSError) and exc.errno is not None:
        return detail
    if isinstance(exc, (zlib.error, lzma.LZMAError, OSError)):  # bz2 reports bad data as OSError
        return f"its compressed data is damaged ({detail}); zip the folder again"
    if isinstance(exc, zipfile.BadZipFile):  # zipfile's own words: bad CRC, not a zip file, ...
        return f"{detail}; zip the folder again"
    return f"it is damaged ({type(exc).__name__}: {detail}); zip the folder again"


def _reason(exc):
    """Why a member could not be written, in the student's terms."""
    reasons = {errno.ENAMETOOLONG: "its name or path is too long",
               errno.EEXIST: "a file and a folder in the zip have the same name",
               errno.ENOTDIR: "a file and a folder in the zip have the same name",
               errno.EISDIR: "a file and a folder in the zip have the same name",
               errno.EILSEQ: "its name is not valid here"}
    return reasons.get(getattr(exc, "errno", None), str(exc))

