"""glia.nn: layers, losses and utilities, named and shaped like torch.nn."""
from glia.nn import functional, init, utils  # noqa: F401
from glia.nn.module import Module  # noqa: F401
from glia.nn.parameter import Buffer, Parameter  # noqa: F401
from glia.nn.container import *  # noqa: F401,F403
from glia.nn.linear import *  # noqa: F401,F403
from glia.nn.embedding import *  # noqa: F401,F403
from glia.nn.activation import *  # noqa: F401,F403
from glia.nn.dropout import *  # noqa: F401,F403
from glia.nn.normalization import *  # noqa: F401,F403
from glia.nn.distance import *  # noqa: F401,F403
from glia.nn.perceptron import *  # noqa: F401,F403
from glia.nn.loss import *  # noqa: F401,F403
from glia.nn.conv import *  # noqa: F401,F403
from glia.nn.rnn import *  # noqa: F401,F403
from glia.nn.pooling import *  # noqa: F401,F403
from glia.nn.padding import *  # noqa: F401,F403
from glia.nn.upsampling import *  # noqa: F401,F403
from glia.nn.attention import *  # noqa: F401,F403
from glia.nn.positional import *  # noqa: F401,F403
from glia.nn.transformer import *  # noqa: F401,F403
