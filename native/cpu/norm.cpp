// Instance / batch normalisation of x [N, C, S]. A statistic's group is one (n, c) row (instance) or the N rows
// of channel c (batch). Sums run over fixed chunks of a row in double, 8 lanes each, and chunk sums combine
// in a fixed order, so results do not depend on the thread count. Forward is two-pass (mean, then the biased
// variance of x - mean); y = (x - mean) * (rstd * gamma) + beta, with the double mean split into two floats
// (x - hi is exact near the mean), which keeps y's digits when |mean| >> std (PyTorch's fused
// x * scale + (beta - mean * scale) loses them).
// Backward (PyTorch's form): dx = (dy - mean(dy) - (x - mean) * rstd² * mean(dy * (x - mean))) * rstd * gamma.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

namespace mr::cpu {
namespace {

constexpr int64_t kChunk = 16384;  // elements of a row handled by one task

struct Layout {
  int64_t N, C, S, G, segs, nch, count;  // G groups of `segs` rows of S elements, rows cut into nch chunks
  bool instance;
  Layout(const NormParams& p)
      : N(p.N), C(p.C), S(p.S), G(p.mode == 0 ? N * C : C), segs(p.mode == 0 ? 1 : N),
        nch((S + kChunk - 1) / kChunk), count(segs * S), instance(p.mode == 0) {}
  int64_t items() const { return G * segs * nch; }
  int64_t group_of(int64_t it) const { return it / (segs * nch); }
  int64_t channel(int64_t g) const { return instance ? g % C : g; }
  // Element range [lo, hi) of work item `it` (a chunk of one row of its group).
  void range(int64_t it, int64_t* lo, int64_t* hi) const {
    const int64_t g = group_of(it), k = (it / nch) % segs, ch = it % nch;
    const int64_t row = instance ? g : k * C + g;
    *lo = row * S + ch * kChunk;
    *hi = row * S + std::min(S, (ch + 1) * kChunk);
  }
  template <typename F>
  void for_items(F f) const {
    parallel_for(items(), std::max<int64_t>(1, kChunk / std::min(S, kChunk)), [&](int64_t lo, int64_t hi) {
      for (int64_t it = lo; it < hi; ++it) {
        int64_t a, b;
        range(it, &a, &b);
        f(it, a, b);
      }
    });
  }
  // Sum of part[] over each group's items, in item order.
  double group_sum(const std::vector<double>& part, int64_t g) const {
    double s = 0;
    for (int64_t i = g * segs * nch; i < (g + 1) * segs * nch; ++i) s += part[i];
    return s;
  }
};

// Σ f(i) over [0, n) in 8 lanes (vectorisable without reassociation), lanes combined in a fixed order.
template <typename F>
double sum8(int64_t n, F f) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += f(i + j);
  for (; i < n; ++i) s[i & 7] += f(i);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

Status check_dims(const NormParams& p) {
  if (p.N < 1 || p.C < 1 || p.S < 1)
    return InvalidArgument("norm: [N, C, S] = [" + std::to_string(p.N) + ", " + std::to_string(p.C) + ", " +
                           std::to_string(p.S) + "] must be positive");
  if (p.mode != 0 && p.mode != 1) return InvalidArgument("norm: unknown mode " + std::to_string(p.mode));
  if (p.hasAffine != 0 && p.hasAffine != 1) return InvalidArgument("norm: hasAffine must be 0 or 1");
  if (!(p.eps >= 0.0f) || std::isinf(p.eps)) return InvalidArgument("norm: eps must be finite and >= 0");
  if (int64_t(p.N) * p.C > (int64_t(1) << 62) / p.S) return InvalidArgument("norm: x is too large");
  return Status::Ok();
}

// Per group: y = ((x - mean_hi) - mean_lo) * scale + shift.
struct Affine {
  float hi, lo, scale, shift;
};

void apply(const Layout& L, const float* x, const std::vector<Affine>& af, float* y) {
  L.for_items([&](int64_t it, int64_t lo, int64_t hi) {
    const Affine f = af[L.group_of(it)];
    for (int64_t i = lo; i < hi; ++i) y[i] = ((x[i] - f.hi) - f.lo) * f.scale + f.shift;
  });
}

std::vector<Affine> affine_of(const Layout& L, const double* mean, const float* rstd, const float* gamma,
                              const float* beta) {
  std::vector<Affine> af(L.G);
  for (int64_t g = 0; g < L.G; ++g) {
    const int64_t c = L.channel(g);
    const float hi = static_cast<float>(mean[g]);
    af[g] = {hi, static_cast<float>(mean[g] - hi), rstd[g] * (gamma ? gamma[c] : 1.0f), beta ? beta[c] : 0.0f};
  }
  return af;
}

}  // namespace

Status norm_forward(const KernelArgs& a) {
  const auto& p = params_of<NormParams>(a);
  MR_RETURN_IF_ERROR(check_dims(p));
  const Layout L(p);
  const int want_in = p.hasAffine ? 3 : 1;
  if (a.n_in != want_in)
    return InvalidArgument("norm_forward: got " + std::to_string(a.n_in) + " inputs, expected " + std::to_string(want_in));
  MR_RETURN_IF_ERROR(expect_size("norm_forward: x", a.in_size[0], L.N * L.C * L.S));
  if (p.hasAffine) {
    MR_RETURN_IF_ERROR(expect_size("norm_forward: gamma", a.in_size[1], L.C));
    MR_RETURN_IF_ERROR(expect_size("norm_forward: beta", a.in_size[2], L.C));
  }
  MR_RETURN_IF_ERROR(expect_size("norm_forward: y", a.out_size[0], L.N * L.C * L.S));
  MR_RETURN_IF_ERROR(expect_size("norm_forward: mean", a.out_size[1], L.G));
  MR_RETURN_IF_ERROR(expect_size("norm_forward: rstd", a.out_size[2], L.G));

  const float* x = a.in[0];
  float *mean = a.out[1], *rstd = a.out[2];
  std::vector<double> part(L.items()), gmean(L.G);
  L.for_items([&](int64_t it, int64_t lo, int64_t hi) {
    part[it] = sum8(hi - lo, [&](int64_t i) { return double(x[lo + i]); });
  });
  for (int64_t g = 0; g < L.G; ++g) gmean[g] = L.group_sum(part, g) / double(L.count);
  L.for_items([&](int64_t it, int64_t lo, int64_t hi) {
    const double m = gmean[L.group_of(it)];
    part[it] = sum8(hi - lo, [&](int64_t i) { const double d = double(x[lo + i]) - m; return d * d; });
  });
  for (int64_t g = 0; g < L.G; ++g) {
    const double var = L.group_sum(part, g) / double(L.count);
    mean[g] = static_cast<float>(gmean[g]);
    rstd[g] = static_cast<float>(1.0 / std::sqrt(var + double(p.eps)));
  }
  apply(L, x, affine_of(L, gmean.data(), rstd, p.hasAffine ? a.in[1] : nullptr, p.hasAffine ? a.in[2] : nullptr),
        a.out[0]);
  return Status::Ok();
}

Status norm_apply(const KernelArgs& a) {
  const auto& p = params_of<NormParams>(a);
  MR_RETURN_IF_ERROR(check_dims(p));
  const Layout L(p);
  const int want_in = p.hasAffine ? 5 : 3;
  if (a.n_in != want_in)
    return InvalidArgument("norm_apply: got " + std::to_string(a.n_in) + " inputs, expected " + std::to_string(want_in));
  MR_RETURN_IF_ERROR(expect_size("norm_apply: x", a.in_size[0], L.N * L.C * L.S));
  MR_RETURN_IF_ERROR(expect_size("norm_apply: mean", a.in_size[1], L.G));
  MR_RETURN_IF_ERROR(expect_size("norm_apply: rstd", a.in_size[2], L.G));
  if (p.hasAffine) {
    MR_RETURN_IF_ERROR(expect_size("norm_apply: gamma", a.in_size[3], L.C));
    MR_RETURN_IF_ERROR(expect_size("norm_apply: beta", a.in_size[4], L.C));
  }
  MR_RETURN_IF_ERROR(expect_size("norm_apply: y", a.out_size[0], L.N * L.C * L.S));
  const std::vector<double> mean(a.in[1], a.in[1] + L.G);
  apply(L, a.in[0], affine_of(L, mean.data(), a.in[2], p.hasAffine ? a.in[3] : nullptr, p.hasAffine ? a.in[4] : nullptr),
        a.out[0]);
  return Status::Ok();
}

Status norm_backward(const KernelArgs& a) {
  const auto& p = params_of<NormParams>(a);
  MR_RETURN_IF_ERROR(check_dims(p));
  const Layout L(p);
  const int want_in = p.hasAffine ? 5 : 4, want_out = p.hasAffine ? 3 : 1;
  if (a.n_in != want_in || a.n_out != want_out)
    return InvalidArgument("norm_backward: got " + std::to_string(a.n_in) + " inputs and " + std::to_string(a.n_out) +
                           " outputs, expected " + std::to_string(want_in) + " and " + std::to_string(want_out));
  const int64_t n = L.N * L.C * L.S;
  MR_RETURN_IF_ERROR(expect_size("norm_backward: x", a.in_size[0], n));
  MR_RETURN_IF_ERROR(expect_size("norm_backward: dy", a.in_size[1], n));
  MR_RETURN_IF_ERROR(expect_size("norm_backward: mean", a.in_size[2], L.G));
  MR_RETURN_IF_ERROR(expect_size("norm_backward: rstd", a.in_size[3], L.G));
  MR_RETURN_IF_ERROR(expect_size("norm_backward: dx", a.out_size[0], n));
  if (p.hasAffine) {
    MR_RETURN_IF_ERROR(expect_size("norm_backward: gamma", a.in_size[4], L.C));
    MR_RETURN_IF_ERROR(expect_size("norm_backward: dgamma", a.out_size[1], L.C));
    MR_RETURN_IF_ERROR(expect_size("norm_backward: dbeta", a.out_size[2], L.C));
  }
  const float *x = a.in[0], *dy = a.in[1], *mean = a.in[2], *rstd = a.in[3];
  const float* gamma = p.hasAffine ? a.in[4] : nullptr;

  // Σ dy and Σ dy * (x - mean) per item, then per group.
  std::vector<double> sdy(L.items()), sdot(L.items());
  L.for_items([&](int64_t it, int64_t lo, int64_t hi) {
    const float m = mean[L.group_of(it)];
    sdy[it] = sum8(hi - lo, [&](int64_t i) { return double(dy[lo + i]); });
    sdot[it] = sum8(hi - lo, [&](int64_t i) { return double(dy[lo + i]) * (double(x[lo + i]) - m); });
  });
  std::vector<float> gmean_dy(L.G), k(L.G), w(L.G);
  std::vector<double> dgamma(L.C, 0.0), dbeta(L.C, 0.0);
  for (int64_t g = 0; g < L.G; ++g) {
    const double s = L.group_sum(sdy, g), dot = L.group_sum(sdot, g), r = rstd[g];
    const int64_t c = L.channel(g);
    gmean_dy[g] = static_cast<float>(s / double(L.count));
    k[g] = static_cast<float>(dot * r * r / double(L.count));
    w[g] = static_cast<float>(r * (gamma ? gamma[c] : 1.0f));
    dgamma[c] += dot * r;  // groups of a channel in increasing n: a fixed order
    dbeta[c] += s;
  }
  float* dx = a.out[0];
  L.for_items([&](int64_t it, int64_t lo, int64_t hi) {
    const int64_t g = L.group_of(it);
    const float m = mean[g], gm = gmean_dy[g], kk = k[g], ww = w[g];
    for (int64_t i = lo; i < hi; ++i) dx[i] = (dy[i] - gm - (x[i] - m) * kk) * ww;
  });
  if (p.hasAffine)
    for (int64_t c = 0; c < L.C; ++c) {
      a.out[1][c] = static_cast<float>(dgamma[c]);
      a.out[2][c] = static_cast<float>(dbeta[c]);
    }
  return Status::Ok();
}

}  // namespace mr::cpu
