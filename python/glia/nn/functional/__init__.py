"""glia.nn.functional: the stateless forms of the layers, as torch.nn.functional.
Each area lives in its own file; this package re-exports them all."""
from glia.nn.functional.core import *  # noqa: F401,F403
from glia.nn.functional.activation import *  # noqa: F401,F403
from glia.nn.functional.dropout import *  # noqa: F401,F403
from glia.nn.functional.normalization import *  # noqa: F401,F403
from glia.nn.functional.distance import *  # noqa: F401,F403
from glia.nn.functional.embedding import *  # noqa: F401,F403
from glia.nn.functional.loss import *  # noqa: F401,F403
from glia.nn.functional.conv import *  # noqa: F401,F403
from glia.nn.functional.pooling import *  # noqa: F401,F403
from glia.nn.functional.vision import *  # noqa: F401,F403
from glia.nn.functional.attention import *  # noqa: F401,F403
from glia.nn.functional.positional import *  # noqa: F401,F403
