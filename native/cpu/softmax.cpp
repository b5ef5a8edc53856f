// Softmax over the middle axis of [outer, C, inner] and its gradient dx = y * (dy - Σ_c y·dy). Stable (the
// maximum is subtracted), sums in double, exp by unary.cpp's vectorised exp_vec. inner == 1: one contiguous
// row of C per task; inner > 1: blocks of `kBlock` positions processed together, channel by channel, so that
// every loop runs along contiguous memory.
#include <algorithm>
#include <string>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

namespace mr::cpu {

void exp_vec(int64_t n, const float* x, float* y);  // unary.cpp: y = e^x, x and y not overlapping

namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kWork = 16384;  // elements per parallel grain

inline float fmax_nan(float m, float v) { return (v > m || v != v) ? v : m; }

Status check(const KernelArgs& a, const SoftmaxParams& p, const char* const names[], int64_t* n) {
  if (p.outer < 0 || p.inner < 0 || p.C < 1)
    return InvalidArgument("softmax: [outer, C, inner] = [" + std::to_string(p.outer) + ", " + std::to_string(p.C) +
                           ", " + std::to_string(p.inner) + "] (C must be >= 1)");
  const int64_t oi = int64_t(p.outer) * p.inner;  // < 2^62
  if (oi > 0 && p.C > (int64_t(1) << 62) / oi) return InvalidArgument("softmax: x is too large");
  *n = oi * p.C;
  for (int i = 0; i < a.n_in; ++i) MR_RETURN_IF_ERROR(expect_size(names[i], a.in_size[i], *n));
  return expect_size(names[a.n_in], a.out_size[0], *n);
}

// Runs body(o, i0, n) over blocks [i0, i0 + n) of inner positions of each outer index.
template <typename Body>
void for_blocks(const SoftmaxParams& p, Body body) {
  const int64_t I = p.inner, B = I == 1 ? 1 : kBlock, nb = (I + B - 1) / B;
  const int64_t grain = std::max<int64_t>(1, kWork / (int64_t(p.C) * std::min(I, B)));
  parallel_for(int64_t(p.outer) * nb, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) body(it / nb, (it % nb) * B, std::min(B, I - (it % nb) * B));
  });
}

}  // namespace

Status softmax_forward(const KernelArgs& a) {
  const auto& p = params_of<SoftmaxParams>(a);
  const char* const names[] = {"softmax: x", "softmax: y"};
  int64_t total = 0;
  MR_RETURN_IF_ERROR(check(a, p, names, &total));
  if (total == 0) return Status::Ok();
  const int64_t C = p.C, I = p.inner;
  const float* x = a.in[0];
  float* y = a.out[0];
  if (I == 1) {  // contiguous rows of C
    parallel_for(p.outer, std::max<int64_t>(1, kWork / C), [&](int64_t lo, int64_t hi) {
      float t[kBlock];
      for (int64_t o = lo; o < hi; ++o) {
        const float* xr = x + o * C;
        float* yr = y + o * C;
        float m = xr[0];
        for (int64_t c = 1; c < C; ++c) m = fmax_nan(m, xr[c]);
        double s = 0;
        for (int64_t c0 = 0; c0 < C; c0 += kBlock) {
          const int64_t n = std::min(kBlock, C - c0);
          for (int64_t c = 0; c < n; ++c) t[c] = xr[c0 + c] - m;
          exp_vec(n, t, yr + c0);
          for (int64_t c = 0; c < n; ++c) s += yr[c0 + c];
        }
        const float inv = static_cast<float>(1.0 / s);
        for (int64_t c = 0; c < C; ++c) yr[c] *= inv;
      }
    });
    return Status::Ok();
  }
  for_blocks(p, [&](int64_t o, int64_t i0, int64_t n) {
    float m[kBlock], t[kBlock];
    double s[kBlock];
    const float* xb = x + o * C * I + i0;
    float* yb = y + o * C * I + i0;
    for (int64_t i = 0; i < n; ++i) m[i] = xb[i], s[i] = 0;
    for (int64_t c = 1; c < C; ++c)
      for (int64_t i = 0; i < n; ++i) m[i] = fmax_nan(m[i], xb[c * I + i]);
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t i = 0; i < n; ++i) t[i] = xb[c * I + i] - m[i];
      exp_vec(n, t, yb + c * I);
      for (int64_t i = 0; i < n; ++i) s[i] += yb[c * I + i];
    }
    float inv[kBlock];
    for (int64_t i = 0; i < n; ++i) inv[i] = static_cast<float>(1.0 / s[i]);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < n; ++i) yb[c * I + i] *= inv[i];
  });
  return Status::Ok();
}

Status softmax_backward(const KernelArgs& a) {
  const auto& p = params_of<SoftmaxParams>(a);
  const char* const names[] = {"softmax_backward: y", "softmax_backward: dy", "softmax_backward: dx"};
  int64_t total = 0;
  MR_RETURN_IF_ERROR(check(a, p, names, &total));
  if (total == 0) return Status::Ok();
  const int64_t C = p.C, I = p.inner;
  const float *y = a.in[0], *dy = a.in[1];
  float* dx = a.out[0];
  for_blocks(p, [&](int64_t o, int64_t i0, int64_t n) {
    double s[kBlock];
    float sf[kBlock];
    const int64_t base = o * C * I + i0;
    for (int64_t i = 0; i < n; ++i) s[i] = 0;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < n; ++i) s[i] += double(y[base + c * I + i]) * dy[base + c * I + i];
    for (int64_t i = 0; i < n; ++i) sf[i] = static_cast<float>(s[i]);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < n; ++i) dx[base + c * I + i] = y[base + c * I + i] * (dy[base + c * I + i] - sf[i]);
  });
  return Status::Ok();
}

}  // namespace mr::cpu
