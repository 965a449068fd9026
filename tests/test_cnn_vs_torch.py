"""A whole CNN training step against PyTorch with the same weights: the loss, every weight gradient and
BatchNormalization's moving statistics agree, so the layers compose as the single-op tests promise."""
import numpy as np
import pytest

import ironnet
from ironnet import layers, losses, models

torch = pytest.importorskip("torch")
nn = torch.nn


def ironnet_cnn():
    return models.Sequential([
        layers.Input((16, 16, 3)),
        layers.Conv2D(8, 3, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, strides=2, activation="relu"),
        layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])


def torch_cnn(model):
    """The same network in PyTorch (NCHW), initialised from the ironnet model's Keras-layout weights."""
    conv1, bn, conv2, dense = (model.layers[i] for i in (0, 1, 4, 7))
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8, eps=1e-3, momentum=0.1),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, stride=2), nn.ReLU(),
                        nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False))
    head = nn.Linear(2 * 2 * 16, 10)  # 16x16 -> 'same' conv 16 -> pool 8 -> stride-2 conv 3 -> 'same' pool 2
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(conv1.get_weights()[0]).permute(3, 2, 0, 1))
        gamma, beta, _, _ = bn.get_weights()
        net[1].weight.copy_(torch.from_numpy(gamma))
        net[1].bias.copy_(torch.from_numpy(beta))
        kernel, bias = conv2.get_weights()
        net[4].weight.copy_(torch.from_numpy(kernel).permute(3, 2, 0, 1))
        net[4].bias.copy_(torch.from_numpy(bias))
        dense_kernel, dense_bias = dense.get_weights()
        head.weight.copy_(torch.from_numpy(dense_kernel.T.copy()))  # fed NHWC-flattened features, as Keras
        head.bias.copy_(torch.from_numpy(dense_bias))
    return net, head


def test_cnn_training_step_matches_torch(rng):
    ironnet.set_random_seed(3)
    model = ironnet_cnn()
    x = rng.standard_normal((6, 16, 16, 3)).astype(np.float32)
    labels = rng.integers(0, 10, 6)
    net, head = torch_cnn(model)

    probs = model(x, training=True)
    loss = losses.SparseCategoricalCrossentropy()(labels, probs)
    loss.backward()

    features = net(torch.from_numpy(x).permute(0, 3, 1, 2))
    logits = head(features.permute(0, 2, 3, 1).reshape(6, -1))  # flatten in NHWC order, as Keras
    want = nn.functional.cross_entropy(logits, torch.from_numpy(labels))
    want.backward()

    np.testing.assert_allclose(float(loss.numpy()), want.item(), rtol=1e-5)
    conv1, bn, conv2, dense = (model.layers[i] for i in (0, 1, 4, 7))
    got = {
        "conv1": conv1.kernel.grad.numpy(), "gamma": bn.gamma.grad.numpy(), "beta": bn.beta.grad.numpy(),
        "conv2": conv2.kernel.grad.numpy(), "conv2 bias": conv2.bias.grad.numpy(),
        "dense": dense.kernel.grad.numpy(), "dense bias": dense.bias.grad.numpy(),
    }
    expected = {
        "conv1": net[0].weight.grad.permute(2, 3, 1, 0).numpy(), "gamma": net[1].weight.grad.numpy(),
        "beta": net[1].bias.grad.numpy(), "conv2": net[4].weight.grad.permute(2, 3, 1, 0).numpy(),
        "conv2 bias": net[4].bias.grad.numpy(), "dense": head.weight.grad.numpy().T, "dense bias": head.bias.grad.numpy(),
    }
    for name in got:
        np.testing.assert_allclose(got[name], expected[name], rtol=2e-4, atol=2e-6, err_msg=name)
    # Moving statistics: Keras's momentum 0.9 is PyTorch's 0.1; Keras moves the variance by the biased
    # batch variance, PyTorch by the unbiased one.
    n = 6 * 16 * 16
    _, _, moving_mean, moving_var = bn.get_weights()
    np.testing.assert_allclose(moving_mean, net[1].running_mean.numpy(), rtol=1e-5, atol=1e-7)
    biased = (net[1].running_var.numpy() - 0.9) * (n - 1) / n + 0.9
    np.testing.assert_allclose(moving_var, biased, rtol=1e-5)
