// Stand-alone check of conv_forward / conv_backward_data / conv_backward_weight against naive loops in double
// precision, plus the adjoint identities that tie the three kernels together. Runs through mr::run_kernel,
// i.e. through the path the active instruction set selects: run it once per MICRORECON_ISA value
// (portable, avx2, avx512) to cover every variant, e.g.
//   for i in portable avx2 avx512; do MICRORECON_ISA=$i build-tests/conv_check || exit 1; done
// Tolerance: max |got - ref| <= 1e-4 * (1 + max |ref|) per output tensor; adjoint identities to a relative
// 1e-4 of the sum of |terms|. Also checks that results are bitwise identical with 1 and with all threads
// (forward, data gradient) and that mismatched buffer sizes are refused.
// Options: --quick (fewer random cases), --seed N, --verbose.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/kernel.h"
#include "core/parallel.h"
#include "core/params.h"

namespace {

using mr::ConvParams;

struct Case {
  int N, Cin, Cout, G;
  int in[3], k[3], s[3], p[3], d[3];
  int extra[3];  // in-size beyond what the formula needs (convTranspose output_padding style)
  bool bias;
  std::string name;
};

int out_size(int in, int k, int s, int p, int d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

ConvParams params_of(const Case& c) {
  ConvParams p{};
  p.N = c.N, p.Cin = c.Cin, p.Cout = c.Cout, p.groups = c.G;
  int out[3];
  for (int a = 0; a < 3; ++a) out[a] = out_size(c.in[a], c.k[a], c.s[a], c.p[a], c.d[a]);
  p.inD = c.in[0] + c.extra[0], p.inH = c.in[1] + c.extra[1], p.inW = c.in[2] + c.extra[2];
  p.outD = out[0], p.outH = out[1], p.outW = out[2];
  p.kD = c.k[0], p.kH = c.k[1], p.kW = c.k[2];
  p.strideD = c.s[0], p.strideH = c.s[1], p.strideW = c.s[2];
  p.padD = c.p[0], p.padH = c.p[1], p.padW = c.p[2];
  p.dilD = c.d[0], p.dilH = c.d[1], p.dilW = c.d[2];
  p.hasBias = c.bias ? 1 : 0;
  return p;
}

struct Dims {
  int64_t N, Cin, Cout, G, Cig, Cog, in[3], out[3], k[3], s[3], p[3], d[3];
  int64_t isp() const { return in[0] * in[1] * in[2]; }
  int64_t osp() const { return out[0] * out[1] * out[2]; }
  int64_t taps() const { return k[0] * k[1] * k[2]; }
};

Dims dims_of(const ConvParams& p) {
  Dims d{};
  d.N = p.N, d.Cin = p.Cin, d.Cout = p.Cout, d.G = p.groups, d.Cig = p.Cin / p.groups, d.Cog = p.Cout / p.groups;
  const int32_t in[3] = {p.inD, p.inH, p.inW}, out[3] = {p.outD, p.outH, p.outW}, k[3] = {p.kD, p.kH, p.kW},
                s[3] = {p.strideD, p.strideH, p.strideW}, pp[3] = {p.padD, p.padH, p.padW},
                dd[3] = {p.dilD, p.dilH, p.dilW};
  for (int a = 0; a < 3; ++a) d.in[a] = in[a], d.out[a] = out[a], d.k[a] = k[a], d.s[a] = s[a], d.p[a] = pp[a], d.d[a] = dd[a];
  return d;
}

// Visits every (n, co, ci, output position, tap) pair whose input index is inside x.
template <typename F>
void for_each_term(const Dims& d, F f) {
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t co = 0; co < d.Cout; ++co) {
      const int64_t g = co / d.Cog;
      for (int64_t cil = 0; cil < d.Cig; ++cil) {
        const int64_t ci = g * d.Cig + cil;
        for (int64_t od = 0; od < d.out[0]; ++od)
          for (int64_t kd = 0; kd < d.k[0]; ++kd) {
            const int64_t id = od * d.s[0] - d.p[0] + kd * d.d[0];
            if (id < 0 || id >= d.in[0]) continue;
            for (int64_t oh = 0; oh < d.out[1]; ++oh)
              for (int64_t kh = 0; kh < d.k[1]; ++kh) {
                const int64_t ih = oh * d.s[1] - d.p[1] + kh * d.d[1];
                if (ih < 0 || ih >= d.in[1]) continue;
                for (int64_t ow = 0; ow < d.out[2]; ++ow)
                  for (int64_t kw = 0; kw < d.k[2]; ++kw) {
                    const int64_t iw = ow * d.s[2] - d.p[2] + kw * d.d[2];
                    if (iw < 0 || iw >= d.in[2]) continue;
                    const int64_t xi = (((n * d.Cin + ci) * d.in[0] + id) * d.in[1] + ih) * d.in[2] + iw;
                    const int64_t yi = (((n * d.Cout + co) * d.out[0] + od) * d.out[1] + oh) * d.out[2] + ow;
                    const int64_t wi = ((co * d.Cig + cil) * d.k[0] + kd) * d.k[1] * d.k[2] + kh * d.k[2] + kw;
                    f(xi, yi, wi);
                  }
              }
          }
      }
    }
}

std::vector<float> random_vec(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) {
    x = u(rng);
    if (std::fabs(x) < 1e-3f) x = 0.5f;  // non-zero everywhere
  }
  return v;
}

mr::Status run(const char* name, const ConvParams& p, std::vector<const std::vector<float>*> ins,
               std::vector<std::vector<float>*> outs) {
  std::vector<const float*> ip;
  std::vector<int64_t> is;
  std::vector<float*> op;
  std::vector<int64_t> os;
  for (auto* v : ins) ip.push_back(v->data()), is.push_back(static_cast<int64_t>(v->size()));
  for (auto* v : outs) op.push_back(v->data()), os.push_back(static_cast<int64_t>(v->size()));
  mr::KernelArgs a{ip.data(), is.data(), static_cast<int>(ip.size()), op.data(), os.data(),
                   static_cast<int>(op.size()), &p, sizeof(p)};
  return mr::run_kernel(name, a);
}

struct Stats {
  double worst_ratio = 0;  // max over checks of err / (tol * (1 + max|ref|))
  double worst_err = 0;
  int checks = 0, failures = 0;
};
Stats g_stats;
bool g_verbose = false;

bool compare(const std::string& what, const std::vector<float>& got, const std::vector<double>& ref) {
  double maxref = 0, err = 0;
  int64_t at = -1;
  for (size_t i = 0; i < ref.size(); ++i) {
    maxref = std::max(maxref, std::fabs(ref[i]));
    const double e = std::fabs(double(got[i]) - ref[i]);
    if (!(e <= err)) err = e, at = static_cast<int64_t>(i);  // NaN counts as the worst
  }
  const double tol = 1e-4 * (1 + maxref);
  const double ratio = std::isnan(err) ? 1e30 : err / tol;
  ++g_stats.checks;
  g_stats.worst_ratio = std::max(g_stats.worst_ratio, ratio);
  g_stats.worst_err = std::max(g_stats.worst_err, err / (1 + maxref));
  if (!(err <= tol)) {
    ++g_stats.failures;
    std::printf("FAIL %s: max err %.3g at %lld (got %.6g, ref %.6g), tol %.3g\n", what.c_str(), err,
                static_cast<long long>(at), at >= 0 ? got[at] : 0.f, at >= 0 ? ref[at] : 0.0, tol);
    return false;
  }
  if (g_verbose) std::printf("  ok %s: max err %.3g (max|ref| %.3g)\n", what.c_str(), err, maxref);
  return true;
}

void check_adjoint(const std::string& what, double lhs, double rhs, double scale) {
  const double err = std::fabs(lhs - rhs), tol = 1e-4 * (1 + scale);
  ++g_stats.checks;
  if (!(err <= tol)) {
    ++g_stats.failures;
    std::printf("FAIL %s: %.9g vs %.9g (tol %.3g)\n", what.c_str(), lhs, rhs, tol);
  } else if (g_verbose) {
    std::printf("  ok %s: %.9g vs %.9g\n", what.c_str(), lhs, rhs);
  }
}

void run_case(const Case& c, std::mt19937& rng) {
  const ConvParams p = params_of(c);
  const Dims d = dims_of(p);
  const int64_t xs = d.N * d.Cin * d.isp(), ys = d.N * d.Cout * d.osp(), ws = d.Cout * d.Cig * d.taps();
  const std::vector<float> x = random_vec(rng, xs), w = random_vec(rng, ws), b = random_vec(rng, d.Cout),
                           dy = random_vec(rng, ys);
  std::vector<double> y_ref(ys, 0.0), dx_ref(xs, 0.0), dw_ref(ws, 0.0), db_ref(d.Cout, 0.0);
  for_each_term(d, [&](int64_t xi, int64_t yi, int64_t wi) {
    y_ref[yi] += double(x[xi]) * w[wi];
    dx_ref[xi] += double(dy[yi]) * w[wi];
    dw_ref[wi] += double(dy[yi]) * x[xi];
  });
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t co = 0; co < d.Cout; ++co)
      for (int64_t i = 0; i < d.osp(); ++i) {
        const int64_t yi = (n * d.Cout + co) * d.osp() + i;
        if (c.bias) y_ref[yi] += b[co];
        db_ref[co] += dy[yi];
      }

  const float junk = std::nanf("");
  std::vector<float> y(ys, junk), dx(xs, junk), dw(ws, junk), db(d.Cout, junk);
  ConvParams pb = p;
  mr::Status st = c.bias ? run("conv_forward", p, {&x, &w, &b}, {&y}) : run("conv_forward", p, {&x, &w}, {&y});
  if (!st.ok()) {
    std::printf("FAIL %s forward: %s\n", c.name.c_str(), st.message.c_str());
    ++g_stats.failures;
    return;
  }
  compare(c.name + " forward", y, y_ref);
  st = run("conv_backward_data", p, {&dy, &w}, {&dx});
  if (!st.ok()) {
    std::printf("FAIL %s backward_data: %s\n", c.name.c_str(), st.message.c_str());
    ++g_stats.failures;
    return;
  }
  compare(c.name + " backward_data", dx, dx_ref);
  st = c.bias ? run("conv_backward_weight", pb, {&x, &dy}, {&dw, &db})
              : run("conv_backward_weight", pb, {&x, &dy}, {&dw});
  if (!st.ok()) {
    std::printf("FAIL %s backward_weight: %s\n", c.name.c_str(), st.message.c_str());
    ++g_stats.failures;
    return;
  }
  compare(c.name + " backward_weight", dw, dw_ref);
  if (c.bias) compare(c.name + " backward_bias", db, db_ref);

  // Adjoint identities on the kernels' own outputs: <conv(x; w), dy> = <x, conv^T(dy)> = <w, dW(x, dy)>.
  double ydy = 0, ydy_abs = 0, xdx = 0, wdw = 0;
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t co = 0; co < d.Cout; ++co)
      for (int64_t i = 0; i < d.osp(); ++i) {
        const int64_t yi = (n * d.Cout + co) * d.osp() + i;
        const double yv = double(y[yi]) - (c.bias ? b[co] : 0.f);
        ydy += yv * dy[yi];
        ydy_abs += std::fabs(yv * dy[yi]);
      }
  for (int64_t i = 0; i < xs; ++i) xdx += double(x[i]) * dx[i];
  for (int64_t i = 0; i < ws; ++i) wdw += double(w[i]) * dw[i];
  check_adjoint(c.name + " <conv(x),dy> = <x,bwd_data(dy)>", ydy, xdx, ydy_abs);
  check_adjoint(c.name + " <conv(x;w),dy> = <w,bwd_weight(x,dy)>", ydy, wdw, ydy_abs);

  // Same bits with one thread (forward and data gradient partition over outputs only).
  {
    const int t = mr::num_threads();
    mr::set_num_threads(1);
    std::vector<float> y1(ys), dx1(xs), dw1(ws);
    if (c.bias) run("conv_forward", p, {&x, &w, &b}, {&y1});
    else run("conv_forward", p, {&x, &w}, {&y1});
    run("conv_backward_data", p, {&dy, &w}, {&dx1});
    run("conv_backward_weight", p, {&x, &dy}, {&dw1});
    mr::set_num_threads(t);
    ++g_stats.checks;
    if (std::memcmp(y1.data(), y.data(), ys * 4) || std::memcmp(dx1.data(), dx.data(), xs * 4)) {
      ++g_stats.failures;
      std::printf("FAIL %s: forward / backward_data differ between 1 and %d threads\n", c.name.c_str(), t);
    }
    if (t <= 8 && std::memcmp(dw1.data(), dw.data(), ws * 4)) {
      ++g_stats.failures;
      std::printf("FAIL %s: backward_weight differs between 1 and %d threads\n", c.name.c_str(), t);
    }
  }
}

void check_refusals() {
  Case c{1, 4, 4, 1, {3, 5, 5}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, false, "refuse"};
  const ConvParams p = params_of(c);
  const Dims d = dims_of(p);
  std::vector<float> x(d.N * d.Cin * d.isp()), w(d.Cout * d.Cig * d.taps()), y(d.N * d.Cout * d.osp());
  std::vector<float> small(y.size() - 1), big_w(w.size() + 1);
  auto expect_fail = [&](const char* what, mr::Status st) {
    ++g_stats.checks;
    if (st.ok() || st.code != mr::Code::InvalidArgument) {
      ++g_stats.failures;
      std::printf("FAIL refusal %s: got %s\n", what, st.ok() ? "ok" : st.message.c_str());
    }
  };
  expect_fail("small y", run("conv_forward", p, {&x, &w}, {&small}));
  expect_fail("big w", run("conv_forward", p, {&x, &big_w}, {&y}));
  expect_fail("small dx", run("conv_backward_data", p, {&y, &w}, {&small}));
  expect_fail("small dy", run("conv_backward_weight", p, {&x, &small}, {&w}));
  ConvParams q = p;
  q.groups = 3;
  expect_fail("groups", run("conv_forward", q, {&x, &w}, {&y}));
  q = p;
  q.hasBias = 1;
  expect_fail("bias missing", run("conv_forward", q, {&x, &w}, {&y}));
}

Case mk(const char* name, int N, int Cin, int Cout, int G, std::vector<int> in, std::vector<int> k,
        std::vector<int> s, std::vector<int> p, std::vector<int> d, bool bias, std::vector<int> extra = {0, 0, 0}) {
  Case c{};
  c.name = name, c.N = N, c.Cin = Cin, c.Cout = Cout, c.G = G, c.bias = bias;
  for (int a = 0; a < 3; ++a) {
    c.in[a] = in[a], c.k[a] = k[a], c.s[a] = s[a], c.p[a] = p[a], c.d[a] = d[a], c.extra[a] = extra[a];
  }
  return c;
}

std::vector<Case> fixed_cases() {
  std::vector<Case> v;
  // The bench workloads, scaled down, and the U-net's layers.
  v.push_back(mk("k3p1 16ch 10^3", 1, 16, 16, 1, {10, 10, 10}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("k3p1 64ch 8^3", 1, 64, 64, 1, {8, 8, 8}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, false));
  v.push_back(mk("k3p1 24->40 6x7x9", 2, 24, 40, 1, {6, 7, 9}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("2d k3p1 64ch 20x37", 1, 64, 64, 1, {1, 20, 37}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("2d k3p1 wide 3x130", 1, 8, 12, 1, {1, 3, 130}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("1d k5p2 N2", 2, 6, 10, 1, {1, 1, 41}, {1, 1, 5}, {1, 1, 1}, {0, 0, 2}, {1, 1, 1}, true));
  v.push_back(mk("down k4s2p1", 1, 8, 16, 1, {9, 10, 11}, {4, 4, 4}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("down k2s2", 2, 16, 32, 1, {8, 6, 10}, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}, false));
  v.push_back(mk("up (T) k2s2", 1, 32, 16, 1, {8, 8, 8}, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}, false, {1, 1, 1}));
  v.push_back(mk("up (T) k4s2p1 op1", 1, 16, 8, 1, {7, 6, 9}, {4, 4, 4}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, false, {1, 0, 1}));
  v.push_back(mk("up (T) k3s2p1 op1", 2, 12, 20, 1, {5, 7, 8}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, true, {1, 1, 0}));
  v.push_back(mk("1x1x1", 2, 20, 36, 1, {5, 6, 7}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, true));
  v.push_back(mk("1x1x1 s2", 1, 16, 16, 1, {5, 6, 7}, {1, 1, 1}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}, true));
  v.push_back(mk("stride mix 1/2/3", 2, 6, 9, 1, {9, 10, 13}, {3, 2, 4}, {1, 2, 3}, {1, 0, 2}, {1, 1, 1}, true));
  v.push_back(mk("dil 2", 1, 10, 14, 1, {9, 11, 12}, {3, 3, 3}, {1, 1, 1}, {2, 2, 2}, {2, 2, 2}, true));
  v.push_back(mk("dil 2 stride 2", 1, 10, 6, 1, {9, 11, 12}, {3, 3, 3}, {2, 2, 2}, {1, 2, 0}, {2, 2, 2}, true));
  v.push_back(mk("groups 2", 2, 8, 12, 2, {5, 6, 7}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("groups 4 s2", 1, 16, 8, 4, {6, 9, 7}, {3, 3, 3}, {2, 1, 2}, {1, 1, 1}, {1, 1, 1}, false));
  v.push_back(mk("depthwise", 2, 12, 12, 12, {5, 8, 9}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("depthwise x2", 1, 6, 12, 6, {5, 8, 9}, {3, 3, 3}, {1, 2, 1}, {1, 1, 2}, {1, 1, 2}, true));
  v.push_back(mk("k > input (pad 2)", 1, 3, 5, 1, {2, 3, 2}, {5, 5, 5}, {1, 1, 1}, {2, 2, 2}, {1, 1, 1}, true));
  v.push_back(mk("k = padded input", 1, 4, 4, 1, {1, 2, 3}, {3, 4, 5}, {1, 2, 3}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("tiny 1ch", 1, 1, 1, 1, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, true));
  v.push_back(mk("odd 3->5 p2", 1, 3, 5, 1, {7, 5, 3}, {3, 3, 3}, {1, 1, 1}, {2, 2, 2}, {1, 1, 1}, true));
  v.push_back(mk("T extra dil>stride", 1, 4, 6, 1, {6, 7, 8}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {2, 2, 2}, false, {1, 1, 1}));
  v.push_back(mk("2d 33 wide 3ch->17", 2, 3, 17, 1, {1, 9, 33}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("long rows 1d 300", 1, 5, 7, 1, {1, 1, 300}, {1, 1, 3}, {1, 1, 1}, {0, 0, 1}, {1, 1, 1}, true));
  // Large enough for several row bands, rings over many planes and all channel blocks of the engine.
  v.push_back(mk("2d bands 48->40 70x90", 1, 48, 40, 1, {1, 70, 90}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("3d ring 24->20 14x20x23 N2", 2, 24, 20, 1, {14, 20, 23}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, true));
  v.push_back(mk("3d s2 k4 up/down 16->24 15x18x20", 1, 16, 24, 1, {15, 18, 20}, {4, 4, 4}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, false, {1, 0, 1}));
  return v;
}

Case random_case(std::mt19937& rng, int index) {
  auto r = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c{};
  const int gsel = r(0, 5);
  c.G = gsel <= 2 ? 1 : gsel == 3 ? 2 : gsel == 4 ? 4 : 0;
  const int cig = r(1, 9), cog = r(1, 12);
  if (c.G == 0) {  // depthwise (with multiplier 1 or 2)
    c.G = r(1, 8);
    c.Cin = c.G;
    c.Cout = c.G * r(1, 2);
  } else {
    c.Cin = cig * c.G;
    c.Cout = cog * c.G;
  }
  c.N = r(1, 2);
  const bool two_d = r(0, 3) == 0;
  for (int a = 0; a < 3; ++a) {
    if (two_d && a == 0) {
      c.in[a] = 1, c.k[a] = 1, c.s[a] = 1, c.p[a] = 0, c.d[a] = 1, c.extra[a] = 0;
      continue;
    }
    c.k[a] = r(1, 4);
    c.s[a] = r(1, 3);
    c.d[a] = r(0, 4) == 0 ? 2 : 1;
    c.p[a] = r(0, 2);
    const int need = c.d[a] * (c.k[a] - 1) + 1 - 2 * c.p[a];
    c.in[a] = std::max({1, need, r(1, 11)});
    c.extra[a] = r(0, 2) == 0 ? r(0, std::max(c.s[a], c.d[a]) - 1) : 0;
  }
  c.bias = r(0, 1);
  c.name = "random#" + std::to_string(index);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned seed = 12345;
  int n_random = 300;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) n_random = 40;
    else if (!std::strcmp(argv[i], "--verbose")) g_verbose = true;
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = static_cast<unsigned>(std::atoi(argv[++i]));
  }
  std::printf("conv_check: isa %s (detected %s), %d threads\n", mr::isa_name(mr::active_isa()),
              mr::isa_name(mr::detected_isa()), mr::num_threads());
  std::mt19937 rng(seed);
  check_refusals();
  for (const Case& c : fixed_cases()) run_case(c, rng);
  for (int i = 0; i < n_random; ++i) {
    Case c = random_case(rng, i);
    if (g_verbose) std::printf("%s\n", c.name.c_str());
    run_case(c, rng);
  }
  std::printf("conv_check: %d checks, %d failures; worst error %.3g x (1 + max|ref|) = %.3g of the tolerance\n",
              g_stats.checks, g_stats.failures, g_stats.worst_err, g_stats.worst_ratio);
  return g_stats.failures ? 1 : 0;
}
