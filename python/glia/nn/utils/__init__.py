"""glia.nn.utils: gradient clipping, packed sequences (utils.rnn), weight penalties, spectral normalization, receptive fields."""
from glia.nn.utils import rnn  # noqa: F401
from glia.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from glia.nn.utils.penalties import elastic_net_penalty, l1_penalty, l2_penalty
from glia.nn.utils.spectral import remove_spectral_norm, spectral_norm
from glia.nn.utils.receptive_field import LayerReceptiveField, receptive_field

__all__ = ["clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty",
           "elastic_net_penalty", "spectral_norm", "remove_spectral_norm", "receptive_field",
           "LayerReceptiveField"]
