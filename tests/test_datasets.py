"""ironnet.datasets: the IDX reader, the search order, the checked download, the real data."""
from __future__ import annotations

import gzip
import hashlib
import os

import numpy as np
import pytest

from ironnet.datasets import _files, digits, fashion_mnist, mnist, read_idx, write_idx
from ironnet.datasets._mnist_like import FILES, STEMS

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fake home directory and no IRONNET_DATA, so nothing real is found or written."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.delenv("IRONNET_DATA", raising=False)
    return h


def _write_mnist_like(directory, n_train=5, n_test=3, gz=True, seed=0):
    """Four small IDX files in the MNIST layout; returns the arrays written."""
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)
    arrays = {
        STEMS[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        STEMS[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        STEMS[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        STEMS[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for stem, a in arrays.items():
        write_idx(os.path.join(directory, stem + (".gz" if gz else "")), a)
    return arrays


def _check(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    np.testing.assert_array_equal(x_train, arrays[STEMS[0]])
    np.testing.assert_array_equal(y_train, arrays[STEMS[1]])
    np.testing.assert_array_equal(x_test, arrays[STEMS[2]])
    np.testing.assert_array_equal(y_test, arrays[STEMS[3]])


# --- IDX reader ---------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("shape", [(7,), (1,), (0,), (3, 5, 2), (2, 28, 28)])
def test_idx_roundtrip_ubyte(tmp_path, rng, gz, shape):
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / ("x.idx" + (".gz" if gz else ""))
    write_idx(path, a)
    raw = path.read_bytes()
    assert raw[:2] == (b"\x1f\x8b" if gz else b"\x00\x00")
    b = read_idx(path)
    assert b.dtype == np.uint8 and b.shape == shape
    np.testing.assert_array_equal(a, b)


def test_idx_header_is_the_documented_format(tmp_path):
    # Hand-written bytes, not write_idx: magic 0x00000803, dims 2, 1, 3 big-endian, then the data.
    path = tmp_path / "hand.idx"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3]) + bytes(range(6)))
    np.testing.assert_array_equal(read_idx(path), np.arange(6, dtype=np.uint8).reshape(2, 1, 3))


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.float32, np.float64, np.int8])
def test_idx_other_dtypes_are_big_endian(tmp_path, dtype):
    a = np.arange(-3, 9, dtype=dtype).reshape(3, 4)
    path = tmp_path / "x.idx"
    write_idx(path, a)
    assert path.read_bytes()[12:] == a.astype(np.dtype(dtype).newbyteorder(">")).tobytes()
    b = read_idx(path)
    assert b.dtype == dtype and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_idx_truncated_names_the_file(tmp_path, gz):
    a = np.zeros((4, 28, 28), np.uint8)
    payload = bytes([0, 0, 8, 3]) + np.asarray(a.shape, ">u4").tobytes() + a.tobytes()
    path = tmp_path / ("cut-images-idx3-ubyte" + (".gz" if gz else ""))
    cut = payload[:-10]
    path.write_bytes(gzip.compress(cut) if gz else cut)
    with pytest.raises(ValueError, match=r"cut-images-idx3-ubyte.*truncated.*\(4, 28, 28\)"):
        read_idx(path)


def test_idx_truncated_gzip_stream_names_the_file(tmp_path):
    path = tmp_path / "broken.gz"
    write_idx(path, np.arange(1000, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"broken\.gz.*gzip"):
        read_idx(path)


def test_idx_trailing_bytes_and_short_header(tmp_path):
    path = tmp_path / "long.idx"
    write_idx(path, np.arange(5, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(ValueError, match=r"long\.idx.*trailing"):
        read_idx(path)
    short = tmp_path / "short.idx"
    short.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2]))
    with pytest.raises(ValueError, match=r"short\.idx.*truncated IDX header"):
        read_idx(short)
    tiny = tmp_path / "tiny.idx"
    tiny.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match=r"tiny\.idx.*not an IDX file"):
        read_idx(tiny)


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x00\x07\x01", b"PK\x03\x04"])
def test_idx_bad_magic(tmp_path, magic):
    path = tmp_path / "bad.idx"
    path.write_bytes(magic + b"\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match=r"bad\.idx.*bad magic number 0x" + magic.hex()):
        read_idx(path)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        write_idx(tmp_path / "x.idx", np.zeros(3, np.uint16))


# --- search order -------------------------------------------------------------------------------

def test_ironnet_data_comes_first(tmp_path, home, monkeypatch):
    data = tmp_path / "data"
    in_env = _write_mnist_like(data / "mnist", seed=1, gz=False)
    _write_mnist_like(home / ".ironnet" / "datasets" / "mnist", seed=2)
    monkeypatch.setenv("IRONNET_DATA", str(data))
    _check(mnist.load_data(), in_env)


def test_home_is_used_without_ironnet_data(home):
    in_home = _write_mnist_like(home / ".ironnet" / "datasets" / "mnist", seed=2)
    _check(mnist.load_data(), in_home)


def test_incomplete_directory_is_skipped(tmp_path, home, monkeypatch):
    data = tmp_path / "data"
    _write_mnist_like(data / "mnist", seed=1)
    os.remove(data / "mnist" / FILES[3])  # only three of four files
    monkeypatch.setenv("IRONNET_DATA", str(data))
    in_home = _write_mnist_like(home / ".ironnet" / "datasets" / "mnist", seed=2)
    _check(mnist.load_data(), in_home)


def test_system_dir_comes_after_home(home):
    spec = fashion_mnist.SPEC
    assert spec.system_dirs == (FASHION_DIR,)
    assert _files.candidate_dirs(spec.name, spec.system_dirs) == [
        str(home / ".ironnet" / "datasets" / "fashion-mnist"),
        FASHION_DIR,
    ]


def test_not_found_names_every_place_and_how_to_get_it(tmp_path, home, monkeypatch):
    monkeypatch.setenv("IRONNET_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr(
        fashion_mnist, "SPEC",
        fashion_mnist.SPEC.__class__(**{**fashion_mnist.SPEC.__dict__,
                                        "system_dirs": (str(tmp_path / "sys"),),
                                        # never the network in tests: a server that is not there
                                        "base_url": (tmp_path / "no-server").as_uri() + "/"}),
    )
    with pytest.raises(FileNotFoundError) as info:
        fashion_mnist.load_data()
    msg = str(info.value)
    for place in (tmp_path / "nowhere" / "fashion-mnist", home / ".ironnet" / "datasets" /
                  "fashion-mnist", tmp_path / "sys"):
        assert str(place) in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "IRONNET_DATA" in msg and "Downloading from" in msg and "no-server" in msg and "failed" in msg


def test_mnist_not_found(home):
    with pytest.raises(FileNotFoundError, match=r"(?s)mnist.*\.ironnet/datasets/mnist.*IRONNET_DATA"):
        mnist.load_data()


def test_wrong_content_is_reported(home):
    d = home / ".ironnet" / "datasets" / "mnist"
    _write_mnist_like(d)
    write_idx(d / FILES[1], np.zeros(4, np.uint8))  # 4 labels for 5 images
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz.*5 uint8 labels"):
        mnist.load_data()


# --- download -----------------------------------------------------------------------------------

def _server(tmp_path):
    """A directory served through file:// URLs with MNIST-layout files; returns (url, sums, arrays)."""
    served = tmp_path / "server"
    arrays = _write_mnist_like(served, seed=3)
    sums = {f: hashlib.sha256((served / f).read_bytes()).hexdigest() for f in FILES}
    return served.as_uri() + "/", sums, arrays


def test_download_with_checksums(tmp_path, home):
    url, sums, arrays = _server(tmp_path)
    _check(mnist.load_data(checksums=sums, base_url=url), arrays)
    target = home / ".ironnet" / "datasets" / "mnist"
    assert sorted(os.listdir(target)) == sorted(FILES)
    _check(mnist.load_data(), arrays)  # now found in the home directory without downloading


def test_download_checksum_mismatch_leaves_no_file(tmp_path, home):
    url, sums, _ = _server(tmp_path)
    sums[FILES[0]] = "0" * 64
    with pytest.raises(ValueError, match=r"checksum mismatch \(sha256\).*train-images-idx3-ubyte\.gz"):
        mnist.load_data(checksums=sums, base_url=url)
    target = home / ".ironnet" / "datasets" / "mnist"
    assert os.listdir(target) == []  # no partial file and no temporary file


def test_download_keeps_existing_destination_on_mismatch(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"new content")
    dest = tmp_path / "out" / "dest.bin"
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    with pytest.raises(ValueError, match="mismatch"):
        _files.download(src.as_uri(), str(dest), "1" * 64)
    assert dest.read_bytes() == b"old" and os.listdir(dest.parent) == ["dest.bin"]
    good = hashlib.sha256(b"new content").hexdigest()
    assert _files.download(src.as_uri(), str(dest), good.upper()) == str(dest)
    assert dest.read_bytes() == b"new content" and os.listdir(dest.parent) == ["dest.bin"]


def test_download_requires_a_checksum(tmp_path, home):
    with pytest.raises(ValueError, match=r"32-character \(MD5\) or 64-character \(SHA-256\) hex digest"):
        _files.download((tmp_path / "x").as_uri(), str(tmp_path / "y"), None)
    url, sums, _ = _server(tmp_path)
    del sums[FILES[2]]
    with pytest.raises(ValueError, match=r"no expected checksum given for \['t10k-images"):
        mnist.load_data(checksums=sums, base_url=url)


def test_download_with_md5_and_the_built_in_digests(tmp_path, home):
    """MD5 digests (what the datasets' authors publish) verify downloads too; without checksums the
    published ones are used, so files that are not the canonical ones are refused."""
    url, _, arrays = _server(tmp_path)
    served = tmp_path / "server"
    md5 = {f: hashlib.md5((served / f).read_bytes()).hexdigest() for f in FILES}
    with pytest.raises(ValueError, match=r"checksum mismatch \(md5\).*expected f68b3c2dcbeaaa9fbdd348bbdeb94873"):
        mnist.load_data(base_url=url)
    assert os.listdir(home / ".ironnet" / "datasets" / "mnist") == []
    _check(mnist.load_data(checksums=md5, base_url=url), arrays)


def test_offline_download_names_places(tmp_path, home):
    url = (tmp_path / "missing-server").as_uri() + "/"
    sums = {f: "a" * 64 for f in FILES}
    with pytest.raises(FileNotFoundError, match=r"(?s)looked in.*Downloading from .*missing-server.* failed"):
        mnist.load_data(checksums=sums, base_url=url)
    assert os.listdir(home / ".ironnet" / "datasets" / "mnist") == []


# --- real data ----------------------------------------------------------------------------------

def test_real_fashion_mnist(home):
    # Not skipped when missing: CI installs Debian's dataset-fashion-mnist (see .ci/run).
    assert os.path.isdir(FASHION_DIR), "apt-get install dataset-fashion-mnist"
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    for y, n in ((y_train, 6000), (y_test, 1000)):
        assert y.min() == 0 and y.max() == 9
        np.testing.assert_array_equal(np.bincount(y), np.full(10, n))  # balanced classes
    assert x_train.max() == 255 and x_train.min() == 0
    assert len(fashion_mnist.CLASS_NAMES) == 10


def test_digits():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    assert x_train.max() == 16 and y_train.max() == 9 and y_test.min() == 0
    again = digits.load_data()
    np.testing.assert_array_equal(again[1][0], x_test)
    other = digits.load_data(test_fraction=0.5, seed=1)
    assert other[0][0].shape[0] + other[1][0].shape[0] == 1797
    assert not np.array_equal(other[1][1][:50], y_test[:50])
    with pytest.raises(ValueError, match="test_fraction"):
        digits.load_data(test_fraction=1.0)


def test_import_pulls_in_neither_torch_nor_sklearn():
    import subprocess
    import sys

    code = ("import sys, ironnet; ironnet.datasets.fashion_mnist; ironnet.metrics.accuracy_score; "
            "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
