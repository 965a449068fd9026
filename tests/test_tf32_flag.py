"""The TF32 switch of CUDA GEMMs (ironnet.cuda.allow_tf32 / set_allow_tf32 / tf32): its state and
the context manager's restore run everywhere, with or without a GPU (its effect on the products is
tested in test_cuda_gemm.py)."""
import pytest

import ironnet


@pytest.fixture(autouse=True)
def restore_flag():
    previous = ironnet.cuda.allow_tf32()
    yield
    ironnet.cuda.set_allow_tf32(previous)


def test_off_by_default():
    assert ironnet.cuda.allow_tf32() is False


def test_set_and_get():
    ironnet.cuda.set_allow_tf32(True)
    assert ironnet.cuda.allow_tf32() is True
    ironnet.cuda.set_allow_tf32(False)
    assert ironnet.cuda.allow_tf32() is False


def test_context_manager_restores_the_previous_value():
    with ironnet.cuda.tf32():
        assert ironnet.cuda.allow_tf32()
        with ironnet.cuda.tf32(False):
            assert not ironnet.cuda.allow_tf32()
        assert ironnet.cuda.allow_tf32()
    assert not ironnet.cuda.allow_tf32()
    ironnet.cuda.set_allow_tf32(True)
    with ironnet.cuda.tf32(False):
        assert not ironnet.cuda.allow_tf32()
    assert ironnet.cuda.allow_tf32()


def test_context_manager_restores_after_an_exception():
    with pytest.raises(KeyError):
        with ironnet.cuda.tf32():
            raise KeyError("inside")
    assert not ironnet.cuda.allow_tf32()


def test_cpu_products_are_never_rounded():
    """TF32 is a CUDA setting: with it on, a CPU product of values TF32 cannot hold stays exact."""
    a = ironnet.tensor([[1 + 2.0 ** -11] * 8], device="cpu")
    b = ironnet.tensor([[1.0]] * 8, device="cpu")
    with ironnet.cuda.tf32():
        assert (a @ b).numpy()[0, 0] == 8 * (1 + 2.0 ** -11)
