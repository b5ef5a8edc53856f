// Broadcasting binary ops: y[i] = a[Σ idx_k·aStrides_k] (op) b[Σ idx_k·bStrides_k] over y's row-major shape.
// Axes are first collapsed (size-1 axes dropped, neighbours merged where both operands are contiguous across
// them); then the flat loop (same shape, contiguous), the scalar loops, or a walk whose last axis runs a
// vectorisable inner loop for each stride pattern (1,1), (1,0), (0,1) and a general one.
#include <algorithm>
#include <string>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")  // lets GCC if-convert max/min (see unary.cpp)
#endif

namespace mr::cpu {
namespace {

constexpr int64_t kGrain = 32768;

// torch.maximum / torch.minimum: a NaN in either operand gives NaN.
struct Add { static float f(float a, float b) { return a + b; } };
struct Sub { static float f(float a, float b) { return a - b; } };
struct Mul { static float f(float a, float b) { return a * b; } };
struct Div { static float f(float a, float b) { return a / b; } };
struct Max { static float f(float a, float b) { return (a > b || a != a) ? a : b; } };
struct Min { static float f(float a, float b) { return (a < b || a != a) ? a : b; } };
struct Step { static float f(float a, float b) { return (a != a || b != b) ? a + b : a > b ? 1.f : a == b ? 0.5f : 0.f; } };

struct Geometry {
  int rank = 0;
  int64_t shape[kMaxRank], as[kMaxRank], bs[kMaxRank];
};

// Drops size-1 axes and merges axis k into k-1 when both operands step across them contiguously.
Geometry collapse(const BinaryParams& p) {
  Geometry g;
  for (int k = 0; k < p.rank; ++k) {
    if (p.shape[k] == 1) continue;
    const int j = g.rank - 1;
    if (j >= 0 && g.as[j] == int64_t(p.aStrides[k]) * p.shape[k] && g.bs[j] == int64_t(p.bStrides[k]) * p.shape[k]) {
      g.shape[j] *= p.shape[k];
      g.as[j] = p.aStrides[k];
      g.bs[j] = p.bStrides[k];
    } else {
      g.shape[g.rank] = p.shape[k];
      g.as[g.rank] = p.aStrides[k];
      g.bs[g.rank] = p.bStrides[k];
      ++g.rank;
    }
  }
  return g;
}

template <typename Op>
void inner(int64_t n, const float* __restrict a, int64_t sa, const float* __restrict b, int64_t sb,
           float* __restrict y) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = Op::f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float s = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = Op::f(a[i], s);
  } else if (sa == 0 && sb == 1) {
    const float s = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = Op::f(s, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = Op::f(a[i * sa], b[i * sb]);
  }
}

// y[lo, hi) of the collapsed geometry: the multi-index of lo, then runs along the last axis.
template <typename Op>
void walk(const Geometry& g, const float* a, const float* b, float* y, int64_t lo, int64_t hi) {
  const int r = g.rank;
  int64_t idx[kMaxRank];
  int64_t rem = lo, ao = 0, bo = 0;
  for (int k = r - 1; k >= 0; --k) {
    idx[k] = rem % g.shape[k];
    rem /= g.shape[k];
    ao += idx[k] * g.as[k];
    bo += idx[k] * g.bs[k];
  }
  const int64_t last = g.shape[r - 1];
  for (int64_t pos = lo; pos < hi;) {
    const int64_t run = std::min(last - idx[r - 1], hi - pos);
    inner<Op>(run, a + ao, g.as[r - 1], b + bo, g.bs[r - 1], y + pos);
    pos += run;
    idx[r - 1] += run;
    ao += run * g.as[r - 1];
    bo += run * g.bs[r - 1];
    for (int k = r - 1; k > 0 && idx[k] == g.shape[k]; --k) {  // carry into the outer axes
      ao -= idx[k] * g.as[k];
      bo -= idx[k] * g.bs[k];
      idx[k] = 0;
      ++idx[k - 1];
      ao += g.as[k - 1];
      bo += g.bs[k - 1];
    }
  }
}

template <typename Op>
void run(const Geometry& g, const float* a, const float* b, float* y, int64_t n) {
  if (g.rank == 0) {  // every axis had size 1
    y[0] = Op::f(a[0], b[0]);
    return;
  }
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) {
    if (g.rank == 1) inner<Op>(hi - lo, a + lo * g.as[0], g.as[0], b + lo * g.bs[0], g.bs[0], y + lo);
    else walk<Op>(g, a, b, y, lo, hi);
  });
}

}  // namespace

Status binary_forward(const KernelArgs& args) {
  const auto& p = params_of<BinaryParams>(args);
  if (p.kind < 0 || p.kind >= kBinaryKindCount) return InvalidArgument("binary: unknown kind " + std::to_string(p.kind));
  if (p.rank < 0 || p.rank > kMaxRank) return InvalidArgument("binary: rank " + std::to_string(p.rank) + " is not in [0, 6]");
  int64_t n = 1;
  for (int k = 0; k < p.rank; ++k) {
    if (p.shape[k] < 0 || p.aStrides[k] < 0 || p.bStrides[k] < 0)
      return InvalidArgument("binary: axis " + std::to_string(k) + " has a negative size or stride");
    if (p.shape[k] > 0 && n > args.out_size[0] / p.shape[k])  // also keeps n from overflowing
      return InvalidArgument("binary: y has " + std::to_string(args.out_size[0]) + " elements, fewer than the shape");
    n *= p.shape[k];
  }
  MR_RETURN_IF_ERROR(expect_size("binary: y", args.out_size[0], n));
  if (n == 0) return Status::Ok();
  // The operands are dense: the last element an operand's strides reach is its last element.
  const char* names[2] = {"binary: a", "binary: b"};
  for (int op = 0; op < 2; ++op) {
    const int32_t* st = op == 0 ? p.aStrides : p.bStrides;
    int64_t last = 0;
    for (int k = 0; k < p.rank; ++k) {
      last += int64_t(p.shape[k] - 1) * st[k];  // each term < 2^62; the running sum is checked below
      if (last >= args.in_size[op])
        return InvalidArgument(std::string(names[op]) + " has " + std::to_string(args.in_size[op]) +
                               " elements, but its strides reach element " + std::to_string(last));
    }
    MR_RETURN_IF_ERROR(expect_size(names[op], args.in_size[op], last + 1));
  }

  const Geometry g = collapse(p);
  const float *a = args.in[0], *b = args.in[1];
  float* y = args.out[0];
  switch (p.kind) {
    case kAdd: run<Add>(g, a, b, y, n); break;
    case kSub: run<Sub>(g, a, b, y, n); break;
    case kMul: run<Mul>(g, a, b, y, n); break;
    case kDiv: run<Div>(g, a, b, y, n); break;
    case kMax: run<Max>(g, a, b, y, n); break;
    case kMin: run<Min>(g, a, b, y, n); break;
    case kStep: run<Step>(g, a, b, y, n); break;
  }
  return Status::Ok();
}

}  // namespace mr::cpu
