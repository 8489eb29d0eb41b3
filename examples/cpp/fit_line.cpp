// A C++-only glia program: fit y = 3x - 2 + noise with one linear layer by gradient descent.
// Build: cmake -S examples/cpp -B build/example -Dglia_DIR=$(python -m glia --cmakedir)
#include <glia/glia.h>

#include <cmath>
#include <cstdio>

int main() {
  glia::manual_seed(0);
  glia::Tensor x = glia::randn({256, 1});
  glia::Tensor y = x * 3.0 - 2.0 + glia::randn({256, 1}) * 0.05;

  glia::Tensor w = glia::zeros({1, 1}).requires_grad_(true);
  glia::Tensor b = glia::zeros({1}).requires_grad_(true);
  float first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    glia::Tensor pred = glia::matmul(x, w) + b;
    glia::Tensor loss = glia::square(pred - y).mean();
    if (step == 0) first = loss.item<float>();
    last = loss.item<float>();
    w.grad().defined() ? (void)w.grad().zero_() : (void)0;
    b.grad().defined() ? (void)b.grad().zero_() : (void)0;
    loss.backward();
    glia::NoGradGuard no_grad;
    w.sub_(w.grad() * 0.1);
    b.sub_(b.grad() * 0.1);
  }
  float wv = w.item<float>(), bv = b.item<float>();
  std::printf("loss %.4f -> %.5f, w = %.3f, b = %.3f\n", first, last, wv, bv);
  bool ok = std::fabs(wv - 3.0f) < 0.05f && std::fabs(bv + 2.0f) < 0.05f && last < 0.01f;
  std::printf("%s\n", ok ? "fit ok" : "fit FAILED");
  return ok ? 0 : 1;
}
