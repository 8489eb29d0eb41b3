"""glia.optim: optimizers whose updates run in C++ over all parameters in one call."""
from glia.optim import lr_scheduler  # noqa: F401
from glia.optim.optimizer import Optimizer  # noqa: F401
from glia.optim.sgd import *  # noqa: F401,F403
from glia.optim.adam import *  # noqa: F401,F403
from glia.optim.adagrad import *  # noqa: F401,F403
from glia.optim.rmsprop import *  # noqa: F401,F403
from glia.optim.adadelta import *  # noqa: F401,F403
from glia.optim.nadam import *  # noqa: F401,F403
from glia.optim.adamax import *  # noqa: F401,F403
from glia.optim.radam import *  # noqa: F401,F403
from glia.optim.asgd import *  # noqa: F401,F403
from glia.optim.adafactor import *  # noqa: F401,F403
from glia.optim.rprop import *  # noqa: F401,F403
from glia.optim.lbfgs import *  # noqa: F401,F403
from glia.optim.evolution import *  # noqa: F401,F403
