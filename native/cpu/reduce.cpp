// Reductions of x viewed as [outer, reduce, inner] to y [outer, inner]: sum, mean, max; and their gradients.
// Sums accumulate in double in an order fixed by the params alone (never by the thread count): with inner == 1
// a row is cut into fixed chunks summed in 8 independent lanes, chunk sums combined in chunk order; with
// inner > 1 each output is summed over r in order, vectorised across inner. Max propagates NaN; its gradient
// goes to the first index of the maximum (the first NaN if any), as torch.max(dim) does.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")  // lets GCC if-convert the NaN-propagating max (see unary.cpp)
#endif

namespace mr::cpu {
namespace {

constexpr int64_t kChunk = 16384;  // elements of a row summed by one task (inner == 1)
constexpr int64_t kBlock = 512;    // outputs per task (inner > 1)
constexpr int64_t kWork = 32768;   // elements per parallel grain

inline float fmax_nan(float m, float v) {
  const bool take = (v > m) | (v != v);  // no short circuit: a plain select the vectoriser takes
  return take ? v : m;
}

double sum_lanes(const float* x, int64_t n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += x[i + j];
  for (; i < n; ++i) s[i & 7] += x[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// 32 lanes: GCC unrolls an 8-lane inner loop completely and then cannot vectorise its selects.
float max_lanes(const float* x, int64_t n) {
  constexpr int L = 32;
  float m[L];
  for (int j = 0; j < L; ++j) m[j] = x[0];
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    const float* xi = x + i;
    for (int j = 0; j < L; ++j) m[j] = fmax_nan(m[j], xi[j]);
  }
  for (; i < n; ++i) m[0] = fmax_nan(m[0], x[i]);
  float r = m[0];
  for (int j = 1; j < L; ++j) r = fmax_nan(r, m[j]);
  return r;
}

// First index of the maximum of a contiguous row (of the first NaN if there is one): the vectorised maximum,
// then a search for its first occurrence.
int64_t argmax_row(const float* x, int64_t n) {
  const float m = max_lanes(x, n);
  if (m != m) {
    for (int64_t r = 0; r < n; ++r)
      if (x[r] != x[r]) return r;
  }
  for (int64_t r = 0; r < n; ++r)
    if (x[r] == m) return r;
  return 0;
}

Status check(const KernelArgs& a, const ReduceParams& p, bool backward, int64_t* xs, int64_t* ys) {
  if (p.kind < 0 || p.kind >= kReduceKindCount) return InvalidArgument("reduce: unknown kind " + std::to_string(p.kind));
  if (p.outer < 0 || p.inner < 0 || p.reduce < 1)
    return InvalidArgument("reduce: [outer, reduce, inner] = [" + std::to_string(p.outer) + ", " +
                           std::to_string(p.reduce) + ", " + std::to_string(p.inner) + "] (reduce must be >= 1)");
  *ys = int64_t(p.outer) * p.inner;                                      // < 2^62
  if (*ys > 0 && p.reduce > (int64_t(1) << 62) / *ys) return InvalidArgument("reduce: x is too large");
  *xs = *ys * p.reduce;
  MR_RETURN_IF_ERROR(expect_size("reduce: x", a.in_size[0], *xs));
  if (!backward) return expect_size("reduce: y", a.out_size[0], *ys);
  MR_RETURN_IF_ERROR(expect_size("reduce_backward: y", a.in_size[1], *ys));
  MR_RETURN_IF_ERROR(expect_size("reduce_backward: dy", a.in_size[2], *ys));
  return expect_size("reduce_backward: dx", a.out_size[0], *xs);
}

// inner == 1: rows of `R` contiguous elements.
void forward_rows(const ReduceParams& p, const float* x, float* y) {
  const int64_t R = p.reduce, nch = (R + kChunk - 1) / kChunk, items = int64_t(p.outer) * nch;
  const int64_t len = std::min(R, kChunk);
  std::vector<double> part(p.kind == kMaxR ? 0 : items);
  std::vector<float> partmax(p.kind == kMaxR ? items : 0);
  parallel_for(items, std::max<int64_t>(1, kWork / len), [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t o = it / nch, c = it % nch, r0 = c * kChunk, n = std::min(kChunk, R - r0);
      const float* row = x + o * R + r0;
      if (p.kind == kMaxR) partmax[it] = max_lanes(row, n);
      else part[it] = sum_lanes(row, n);
    }
  });
  for (int64_t o = 0; o < p.outer; ++o) {
    if (p.kind == kMaxR) {
      float m = partmax[o * nch];
      for (int64_t c = 1; c < nch; ++c) m = fmax_nan(m, partmax[o * nch + c]);
      y[o] = m;
    } else {
      double s = 0;
      for (int64_t c = 0; c < nch; ++c) s += part[o * nch + c];
      y[o] = static_cast<float>(p.kind == kMean ? s / double(R) : s);
    }
  }
}

// inner > 1: blocks of outputs along inner, each summed over r in order.
void forward_blocks(const ReduceParams& p, const float* x, float* y) {
  const int64_t R = p.reduce, I = p.inner, nb = (I + kBlock - 1) / kBlock;
  parallel_for(int64_t(p.outer) * nb, std::max<int64_t>(1, kWork / (R * std::min(I, kBlock))), [&](int64_t lo, int64_t hi) {
    double acc[kBlock];
    float m[kBlock];
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t o = it / nb, i0 = (it % nb) * kBlock, n = std::min(kBlock, I - i0);
      const float* base = x + o * R * I + i0;
      float* out = y + o * I + i0;
      if (p.kind == kMaxR) {
        for (int64_t i = 0; i < n; ++i) m[i] = base[i];
        for (int64_t r = 1; r < R; ++r) {
          const float* row = base + r * I;
          for (int64_t i = 0; i < n; ++i) m[i] = fmax_nan(m[i], row[i]);
        }
        for (int64_t i = 0; i < n; ++i) out[i] = m[i];
      } else {
        for (int64_t i = 0; i < n; ++i) acc[i] = 0;
        for (int64_t r = 0; r < R; ++r) {
          const float* row = base + r * I;
          for (int64_t i = 0; i < n; ++i) acc[i] += row[i];
        }
        const double div = p.kind == kMean ? double(R) : 1.0;
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(acc[i] / div);
      }
    }
  });
}

}  // namespace

Status reduce_forward(const KernelArgs& a) {
  const auto& p = params_of<ReduceParams>(a);
  int64_t xs = 0, ys = 0;
  MR_RETURN_IF_ERROR(check(a, p, false, &xs, &ys));
  if (ys == 0) return Status::Ok();
  if (p.inner == 1) forward_rows(p, a.in[0], a.out[0]);
  else forward_blocks(p, a.in[0], a.out[0]);
  return Status::Ok();
}

Status reduce_backward(const KernelArgs& a) {
  const auto& p = params_of<ReduceParams>(a);
  int64_t xs = 0, ys = 0;
  MR_RETURN_IF_ERROR(check(a, p, true, &xs, &ys));
  if (ys == 0) return Status::Ok();
  const float *x = a.in[0], *dy = a.in[2];
  float* dx = a.out[0];
  const int64_t R = p.reduce, I = p.inner, nb = (I + kBlock - 1) / kBlock;
  const float fR = static_cast<float>(R);
  if (I == 1) {  // rows: a fill, and for max one element set
    parallel_for(p.outer, std::max<int64_t>(1, kWork / R), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) {
        float* d = dx + o * R;
        if (p.kind == kMaxR) {
          std::fill(d, d + R, 0.0f);
          d[argmax_row(x + o * R, R)] = dy[o];
        } else {
          std::fill(d, d + R, p.kind == kMean ? dy[o] / fR : dy[o]);
        }
      }
    });
    return Status::Ok();
  }
  parallel_for(int64_t(p.outer) * nb, std::max<int64_t>(1, kWork / (R * std::min(I, kBlock))), [&](int64_t lo, int64_t hi) {
    int32_t arg[kBlock];
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t o = it / nb, i0 = (it % nb) * kBlock, n = std::min(kBlock, I - i0);
      const float* g = dy + o * I + i0;
      float* d = dx + o * R * I + i0;
      if (p.kind == kMaxR) {
        const float* xb = x + o * R * I + i0;
        float m[kBlock];
        for (int64_t i = 0; i < n; ++i) m[i] = xb[i], arg[i] = 0;
        for (int32_t r = 1; r < R; ++r) {
          const float* row = xb + r * I;
          for (int64_t i = 0; i < n; ++i) {
            const bool take = ((row[i] > m[i]) | (row[i] != row[i])) & (m[i] == m[i]);
            m[i] = take ? row[i] : m[i];
            arg[i] = take ? int32_t(r) : arg[i];
          }
        }
        for (int32_t r = 0; r < R; ++r)
          for (int64_t i = 0; i < n; ++i) {
            const float gi = g[i];  // loaded unconditionally so that the select vectorises
            d[r * I + i] = arg[i] == r ? gi : 0.0f;
          }
      } else {
        for (int64_t r = 0; r < R; ++r)
          for (int64_t i = 0; i < n; ++i) d[r * I + i] = p.kind == kMean ? g[i] / fR : g[i];
      }
    }
  });
  return Status::Ok();
}

}  // namespace mr::cpu
