#pragma once
// Everything a C++ user of glia needs.
#include "glia/autograd.h"
#include "glia/dtype.h"
#include "glia/error.h"
#include "glia/nn/functional.h"
#include "glia/nn/rnn.h"
#include "glia/ops.h"
#include "glia/optim.h"
#include "glia/tensor.h"
