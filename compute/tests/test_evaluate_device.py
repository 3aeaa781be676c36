"""aiinfra.evaluate's --device: the held-out loss runs where the benchmark tasks run, in fp32, and a device the node
cannot use is a clear bad-input exit before any model or dataset is loaded."""

import numpy as np
import pytest
import torch

from aiinfra import evaluate
from aiinfra.model import GPT, GPTConfig


def _model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=64, n_layer=1, n_head=4, n_kv_head=2, d_model=32, ffn_hidden=64, max_seq_len=16)).eval()


def test_heldout_loss_on_the_given_device_in_fp32():
    tokens = np.random.default_rng(0).integers(0, 64, size=16 * 6 + 1)
    ref, windows = evaluate.heldout_loss(_model(), tokens, max_windows=4)
    # a bf16 copy of the same weights is put back to fp32 where the loss is computed: the same loss within rounding
    loss, _ = evaluate.heldout_loss(_model().to(torch.bfloat16), tokens, max_windows=4, device="cpu")
    assert windows == 4 and loss == pytest.approx(ref, rel=2e-2)
    assert evaluate.heldout_loss(_model(), tokens, max_windows=4, device="cpu") == (ref, 4)


@pytest.mark.parametrize("device", ["nope", "cuda:99"])
def test_an_unusable_device_is_bad_input_before_loading(device, capsys):
    assert evaluate.main(["--model", "/nonexistent/ckpt", "--dataset", "/nonexistent/data", "--device", device]) == 2
    assert f"--device {device!r} is not usable here" in capsys.readouterr().err
