"""BatchNormalization (Keras 3's arguments, weights and update rule)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .. import initializers, ops
from ..tensor import Tensor
from .base import Layer, Shape


class BatchNormalization(Layer):
    """Normalizes each feature along `axis` (channels, for channels_last images) to zero mean and unit
    variance, then scales by gamma and shifts by beta.

    Training (fit, or called with training=True): statistics of the batch, and the moving statistics
    move towards them: moving = moving * momentum + batch * (1 - momentum), with the biased batch
    variance, as in Keras. Inference: the moving statistics. A frozen layer (trainable=False) always
    runs in inference mode, as in Keras 3. Weights, in Keras's order: gamma, beta (trainable),
    moving_mean, moving_variance (not trainable)."""

    supports_masking = True  # per-step (per-feature) work: a mask passes through

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones", **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"BatchNormalization: axis must be an int, got {axis!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum}")
        if not epsilon > 0.0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon}")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.gamma: Optional[Tensor] = None
        self.beta: Optional[Tensor] = None
        self.moving_mean: Optional[Tensor] = None
        self.moving_variance: Optional[Tensor] = None

    def build(self, input_shape: Shape) -> None:
        rank = len(input_shape)
        if rank < 2 or not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{self.name}: axis {self.axis} is not a feature axis of inputs of shape {input_shape}")
        features = input_shape[self.axis]
        if features is None:
            raise ValueError(f"{self.name}: axis {self.axis} of the input shape {input_shape} must be known")
        if self.scale:
            self.gamma = self.add_weight("gamma", (features,), self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight("beta", (features,), self.beta_initializer)
        self.moving_mean = self.add_weight("moving_mean", (features,), self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (features,), self.moving_variance_initializer,
                                               trainable=False)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        features = self.moving_mean.shape[0]
        if not -inputs.ndim <= self.axis < inputs.ndim or inputs.shape[self.axis] != features:
            raise ValueError(f"{self.name}: inputs {inputs.shape} do not have {features} features on axis "
                             f"{self.axis} (the layer was built for {self.input_shape})")
        return ops.batch_norm(inputs, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                              training=bool(training) and self.trainable, momentum=self.momentum,
                              epsilon=self.epsilon, axis=self.axis)

    def get_config(self) -> Dict[str, Any]:
        config = {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                  "center": self.center, "scale": self.scale}
        for name in ("beta", "gamma", "moving_mean", "moving_variance"):
            config[f"{name}_initializer"] = initializers.name_of(getattr(self, f"{name}_initializer"))
        return config
