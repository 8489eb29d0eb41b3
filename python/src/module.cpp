// glia._C: the compiled core. Each area binds itself in its own file.
#include "bindings.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "glia's C++ core";
  init_errors(m);
  init_tensor(m);
  init_ops(m);
  init_autograd(m);
  init_nn(m);
  init_attention(m);
  init_optim(m);
  init_rnn(m);
  init_linalg(m);
}
