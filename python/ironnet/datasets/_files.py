"""Finding dataset files on disk and downloading them with a SHA-256 check.

Search order for a dataset called ``name`` (the first directory holding every file wins):

1. ``$IRONNET_DATA/<name>`` when the ``IRONNET_DATA`` environment variable is set;
2. ``~/.ironnet/datasets/<name>`` (also where downloads go);
3. system directories from distribution packages (``/usr/share/datasets/fashion-mnist`` from
   Debian's ``dataset-fashion-mnist``).

Each file is accepted gzipped (``<file>.gz``) or plain (``<file>``).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence


def home_dir(name: str) -> str:
    """``~/.ironnet/datasets/<name>``: the per-user cache and download target."""
    return os.path.join(os.path.expanduser("~"), ".ironnet", "datasets", name)


def candidate_dirs(name: str, system_dirs: Sequence[str] = ()) -> list[str]:
    """The directories searched for dataset ``name``, in order."""
    dirs = []
    env = os.environ.get("IRONNET_DATA")
    if env:
        dirs.append(os.path.join(env, name))
    dirs.append(home_dir(name))
    dirs.extend(system_dirs)
    return dirs


def find_in(directory: str, stem: str) -> str | None:
    """``directory/stem.gz`` or ``directory/stem``, whichever exists (gzipped first)."""
    for candidate in (stem + ".gz", stem):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def locate(stems: Sequence[str], dirs: Sequence[str]) -> dict[str, str] | None:
    """Paths of every file in ``stems`` from the first directory in ``dirs`` that has them all."""
    for d in dirs:
        found = {stem: find_in(d, stem) for stem in stems}
        if all(found.values()):
            return found  # type: ignore[return-value]
    return None


_ALGORITHMS = {32: "md5", 64: "sha256"}  # by the length of the hex digest


def _algorithm(checksum: str) -> str:
    """'md5' or 'sha256' for a hex digest of 32 or 64 characters (upstreams publish either)."""
    if not isinstance(checksum, str) or len(checksum) not in _ALGORITHMS:
        raise ValueError(
            f"download: a checksum must be a 32-character (MD5) or 64-character (SHA-256) hex digest, got {checksum!r}"
        )
    return _ALGORITHMS[len(checksum)]


def digest_of(path: str, algorithm: str, chunk: int = 1 << 20) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: str, checksum: str, timeout: float = 60.0) -> str:
    """Downloads ``url`` to ``dest`` and checks it against ``checksum`` (hex MD5 or SHA-256, required).

    Written atomically: the bytes go to a temporary file beside ``dest`` that replaces it only
    when the checksum matches. On a mismatch (or any failure) the temporary file is deleted and
    ``dest`` is left as it was; a mismatch raises ValueError with both digests.
    """
    algorithm = _algorithm(checksum)
    directory = os.path.dirname(os.path.abspath(dest))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(dest) + ".", suffix=".part")
    try:
        h = hashlib.new(algorithm)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(1 << 20):
                h.update(block)
                out.write(block)
        got = h.hexdigest()
        if got != checksum.lower():
            raise ValueError(
                f"download: checksum mismatch ({algorithm}) for {url}: expected {checksum.lower()}, got {got}; "
                f"nothing was written to {dest}"
            )
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


def fetch(
    name: str, base_url: str, files: Sequence[str], checksums: Mapping[str, str]
) -> dict[str, str]:
    """Downloads ``base_url + f`` for each ``f`` in ``files`` into ``~/.ironnet/datasets/<name>``.

    ``checksums`` maps every file name to its expected hex digest (MD5 or SHA-256); a missing entry
    is an error (nothing is ever downloaded unchecked). Files already there with the right digest
    are kept.
    """
    missing = [f for f in files if f not in checksums]
    if missing:
        raise ValueError(f"fetch {name}: no expected checksum given for {missing}")
    target = home_dir(name)
    paths = {}
    for f in files:
        dest = os.path.join(target, f)
        expected = checksums[f]
        if not (os.path.isfile(dest) and digest_of(dest, _algorithm(expected)) == expected.lower()):
            download(base_url.rstrip("/") + "/" + f, dest, expected)
        paths[f] = dest
    return paths


__all__ = ["candidate_dirs", "digest_of", "download", "fetch", "home_dir", "locate"]
