// Stand-alone check of every non-conv CPU kernel against plain reference loops in double precision, on random
// non-zero inputs with odd shapes. Backward kernels are checked three ways: against a reference gradient, by
// central finite differences of the kernel's own forward (directional derivative <dx, v> against
// (<w, f(x + εv)> - <w, f(x - εv)>) / 2ε with dy = w), and, for linear ops, by the adjoint identity. Also
// checks bitwise determinism between 1 and several threads, special values (NaN, ±inf, tiny, huge), and that
// inconsistent params or buffer sizes are refused with InvalidArgument (never read out of bounds: build with
// -fsanitize=address to be sure). Runs through mr::run_kernel, i.e. the active instruction set; for gemm run
// it once per MICRORECON_ISA value (portable, avx2, avx512).
// Options: --quick (fewer cases), --seed N, --verbose, --bench (timings of large cases).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <pmmintrin.h>  // _mm_getcsr/_mm_setcsr and the FTZ/DAZ bits
#endif

#include "core/cpu_features.h"
#include "core/kernel.h"
#include "core/parallel.h"
#include "core/params.h"

namespace {

using Vec = std::vector<float>;
using DVec = std::vector<double>;

bool g_verbose = false, g_quick = false;
std::mt19937_64 g_rng(12345);

// ---------------------------------------------------------------------------------------------- bookkeeping
struct Stat {
  int checks = 0, fails = 0;
  double worst = 0;  // largest error seen (relative to the check's scale)
};
std::map<std::string, Stat> g_stats;

void record(const std::string& key, double err, double tol, const std::string& what) {
  Stat& s = g_stats[key];
  ++s.checks;
  if (!(err <= s.worst)) s.worst = std::isnan(err) ? INFINITY : std::max(s.worst, err);
  if (!(err <= tol)) {
    ++s.fails;
    std::printf("FAIL %-28s %s: error %.3g > tol %.3g\n", key.c_str(), what.c_str(), err, tol);
  } else if (g_verbose) {
    std::printf("ok   %-28s %s: error %.3g\n", key.c_str(), what.c_str(), err);
  }
}

void expect(const std::string& key, bool ok, const std::string& what) { record(key, ok ? 0 : 1, 0, what); }

// Max over elements of |got - ref| / (atol + |ref|): a relative error with an absolute floor.
// With `scale`, relative to scale[i] instead of |ref[i]| (for results that cancel, e.g. a x + b).
double rel_err(const Vec& got, const DVec& ref, double atol, const DVec* scale = nullptr) {
  if (got.size() != ref.size()) return INFINITY;
  double e = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(double(got[i]) - ref[i]) / (atol + (scale ? (*scale)[i] : std::fabs(ref[i])));
    if (!(d <= e)) e = std::isnan(d) ? INFINITY : d;
  }
  return e;
}
// Max |got - ref| / max |ref|: the error relative to the tensor's scale.
double scaled_err(const Vec& got, const DVec& ref, double floor = 1e-30) {
  double m = floor, e = 0;
  for (double r : ref) m = std::max(m, std::fabs(r));
  if (got.size() != ref.size()) return INFINITY;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(double(got[i]) - ref[i]);
    if (!(d <= e)) e = std::isnan(d) ? INFINITY : d;
  }
  return e / m;
}
bool bitwise_equal(const Vec& a, const Vec& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
std::string dims(std::initializer_list<int64_t> d) {
  std::string s = "[";
  for (int64_t v : d) s += (s.size() > 1 ? "," : "") + std::to_string(v);
  return s + "]";
}

// ------------------------------------------------------------------------------------------------- running
struct Result {
  mr::Status st;
  std::vector<Vec> out;
};

// Empty buffers are passed as a non-null pointer (run_kernel refuses null), as a JS Float32Array(0) may be.
float g_empty[1];

template <typename P>
Result call(const char* name, const P& p, const std::vector<const Vec*>& in, const std::vector<int64_t>& out_sizes) {
  Result r;
  std::vector<const float*> ip;
  std::vector<int64_t> is;
  for (const Vec* v : in) ip.push_back(v->empty() ? g_empty : v->data()), is.push_back(int64_t(v->size()));
  r.out.resize(out_sizes.size());
  std::vector<float*> op;
  for (size_t i = 0; i < out_sizes.size(); ++i) {
    r.out[i].assign(static_cast<size_t>(std::max<int64_t>(out_sizes[i], 0)), 12345.0f);  // poisoned
    op.push_back(r.out[i].empty() ? g_empty : r.out[i].data());
  }
  mr::KernelArgs a{ip.data(), is.data(), int(ip.size()), op.data(), out_sizes.data(), int(op.size()), &p, sizeof(P)};
  r.st = mr::run_kernel(name, a);
  return r;
}

template <typename P>
std::vector<Vec> must(const char* name, const P& p, const std::vector<const Vec*>& in, const std::vector<int64_t>& out) {
  Result r = call(name, p, in, out);
  if (!r.st.ok()) {
    std::printf("FAIL %s returned %s: %s\n", name, mr::code_name(r.st.code), r.st.message.c_str());
    ++g_stats[name].fails;
  }
  return r.out;
}

template <typename P>
void expect_invalid(const std::string& key, const char* name, const P& p, const std::vector<const Vec*>& in,
                    const std::vector<int64_t>& out, const std::string& what) {
  Result r = call(name, p, in, out);
  const bool ok = r.st.code == mr::Code::InvalidArgument;
  if (!ok || g_verbose)
    std::printf("%s %-28s refuses %s: %s\n", ok ? "ok  " : "FAIL", key.c_str(), what.c_str(),
                r.st.ok() ? "(accepted)" : r.st.message.c_str());
  expect(key + " validation", ok, what);
}

// ------------------------------------------------------------------------------------------------- random
double uni(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g_rng); }
int irand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_rng); }
// Uniform in ±[lo, hi]: away from zero (the kinks of relu, abs, ...).
Vec rand_vec(int64_t n, double lo = 0.1, double hi = 1.0) {
  Vec v(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (float& x : v) x = float(uni(lo, hi) * (irand(0, 1) ? 1 : -1));
  return v;
}
Vec rand_pos(int64_t n, double lo, double hi) {
  Vec v(static_cast<size_t>(n));
  for (float& x : v) x = float(uni(lo, hi));
  return v;
}
double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

// Central finite differences of L(x) = <w, f(x)> along a random v, against <grad, v>.
// Error: |analytic - numeric| / (Σ |grad_i v_i| + the float rounding noise of the quotient).
void fd_check(const std::string& key, const std::function<Vec(const Vec&)>& f, const Vec& x, const Vec& grad,
              const Vec& w, double eps_rel, double tol, const std::string& what, double eps_abs = 0) {
  Vec v = rand_vec(int64_t(x.size()), 0.5, 1.0);
  double xmax = 1.0;  // below 1, float spacing no longer shrinks with the values that f (exp, ...) returns
  for (float e : x) xmax = std::max(xmax, double(std::fabs(e)));
  const double eps = eps_abs > 0 ? eps_abs : eps_rel * xmax;
  Vec xp(x), xm(x);
  for (size_t i = 0; i < x.size(); ++i) xp[i] = float(x[i] + eps * v[i]), xm[i] = float(x[i] - eps * v[i]);
  // the perturbation actually applied in float
  Vec dv(x.size());
  double analytic = 0, scale = 1e-30;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = (double(xp[i]) - double(xm[i])) / (2 * eps);
    analytic += double(grad[i]) * d;
    scale += std::fabs(double(grad[i]) * d);
  }
  const Vec yp = f(xp), ym = f(xm);
  const double numeric = (dot(w, yp) - dot(w, ym)) / (2 * eps);
  // the difference quotient's own rounding noise: 2 ulp (the kernels' accuracy) of every output, twice, over 2ε
  double noise = 0;
  for (size_t i = 0; i < w.size() && i < yp.size() && i < ym.size(); ++i)
    noise += std::fabs(w[i]) * (std::fabs(yp[i]) + std::fabs(ym[i])) * 2.4e-7 / (2 * eps);
  record(key + " fd", std::fabs(analytic - numeric) / (scale + noise), tol, what);
}

// ==================================================================================================== unary
const char* kUnaryNames[] = {"relu", "leaky", "sigmoid", "tanh", "exp", "log", "abs", "square", "sqrt", "neg", "affine"};

double unary_ref(int kind, double x, double alpha, double beta) {
  switch (kind) {
    case mr::kRelu: return x < 0 ? 0 : x;
    case mr::kLeakyRelu: return x > 0 ? x : x * alpha;
    case mr::kSigmoid: return 1 / (1 + std::exp(-x));
    case mr::kTanh: return std::tanh(x);
    case mr::kExp: return std::exp(x);
    case mr::kLog: return std::log(x);
    case mr::kAbs: return std::fabs(x);
    case mr::kSquare: return x * x;
    case mr::kSqrt: return std::sqrt(x);
    case mr::kNeg: return -x;
    default: return alpha * x + beta;
  }
}
double unary_grad_ref(int kind, double x, double alpha) {
  switch (kind) {
    case mr::kRelu: return x > 0 ? 1 : 0;
    case mr::kLeakyRelu: return x > 0 ? 1 : alpha;
    case mr::kSigmoid: { const double s = 1 / (1 + std::exp(-x)); return s * (1 - s); }
    case mr::kTanh: { const double t = std::tanh(x); return 1 - t * t; }
    case mr::kExp: return std::exp(x);
    case mr::kLog: return 1 / x;
    case mr::kAbs: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case mr::kSquare: return 2 * x;
    case mr::kSqrt: return 0.5 / std::sqrt(x);
    case mr::kNeg: return -1;
    default: return alpha;
  }
}

void check_unary() {
  const int64_t sizes[] = {1, 7, 1000, 100003};
  for (int kind = 0; kind < mr::kUnaryKindCount; ++kind) {
    const std::string key = std::string("unary ") + kUnaryNames[kind];
    const bool positive = kind == mr::kLog || kind == mr::kSqrt;
    const float alpha = kind == mr::kLeakyRelu ? 0.01f : -1.7f, beta = 0.3f;
    for (int64_t n : sizes) {
      // exp: up to ±80 to cover the whole float range; sigmoid and tanh ±12; others ±3
      const double span = kind == mr::kExp ? 80 : (kind == mr::kSigmoid || kind == mr::kTanh) ? 12 : 3;
      Vec x = positive ? rand_pos(n, 0.05, 5) : rand_vec(n, 0.05, span);
      if (kind == mr::kTanh || kind == mr::kSigmoid || kind == mr::kExp)  // also many small |x|
        for (int64_t i = 0; i < n; i += 3) x[size_t(i)] = float(uni(-1, 1) * std::pow(10.0, uni(-8, 0)));
      mr::UnaryParams p{int32_t(n), kind, alpha, beta};
      Vec y = must("unary_forward", p, {&x}, {n})[0];
      DVec ref(static_cast<size_t>(n)), gref(static_cast<size_t>(n));
      Vec dy = rand_vec(n, 0.1, 1);
      for (int64_t i = 0; i < n; ++i) {
        const size_t k = size_t(i);
        ref[k] = unary_ref(kind, x[k], alpha, beta);
        // sigmoid' = y (1 - y) and tanh' = 1 - y² from the float y, as specified (and as PyTorch does)
        const double yk = y.size() == ref.size() ? y[k] : 0;
        gref[k] = dy[k] * (kind == mr::kSigmoid ? yk * (1 - yk)
                           : kind == mr::kTanh  ? 1 - yk * yk
                                                : unary_grad_ref(kind, x[k], alpha));
      }
      // relative error per element (float: 6e-8 half-ulp); affine relative to |alpha x| + |beta| (it cancels)
      DVec mag(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) mag[size_t(i)] = std::fabs(alpha * double(x[size_t(i)])) + std::fabs(beta);
      record(key + " fwd", rel_err(y, ref, 1e-37, kind == mr::kAffine ? &mag : nullptr), 1e-6, dims({n}));
      Vec dx = must("unary_backward", p, {&x, &y, &dy}, {n})[0];
      record(key + " bwd", rel_err(dx, gref, 1e-30), 2e-6, dims({n}));
      if (n <= 1000) {
        auto f = [&](const Vec& xx) { return must("unary_forward", p, {&xx}, {n})[0]; };
        const double eps = kind == mr::kExp ? 1e-4 : 1e-3;
        fd_check(key, f, x, dx, dy, eps, 2e-3, dims({n}));
      }
    }
  }
  // Special values: NaN propagates, ±inf and the ends of the range.
  {
    const float inf = INFINITY, nan = NAN;
    Vec x = {nan, inf, -inf, 0.0f, -0.0f, 88.7f, 88.73f, 89.0f, -87.3f, -103.0f, -104.0f, -200.0f, 1e-30f, -1e-30f,
             1e-8f, 0.6249f, 0.6251f, -0.625f, 9.0f, 20.0f, -20.0f};
    const int64_t n = int64_t(x.size());
    for (int kind : {mr::kExp, mr::kSigmoid, mr::kTanh, mr::kRelu, mr::kLeakyRelu, mr::kAbs}) {
      mr::UnaryParams p{int32_t(n), kind, 0.01f, 0.0f};
      Vec y = must("unary_forward", p, {&x}, {n})[0];
      double worst = 0;
      bool nan_ok = std::isnan(y[0]);
      for (int64_t i = 1; i < n; ++i) {
        const double r = unary_ref(kind, x[size_t(i)], 0.01, 0);
        const double fmax = 3.4028234663852886e38, fmin = 1.1754943508222875e-38;
        if (std::fabs(r) > fmax || std::fabs(r) < fmin) {  // beyond float: inf; denormal: any denormal or 0
          const double yi = y[size_t(i)];
          if (!(std::fabs(r) > fmax ? yi == r * INFINITY : std::fabs(yi) < fmin)) worst = 1;
        } else {
          worst = std::max(worst, std::fabs(y[size_t(i)] - r) / std::fabs(r));
        }
      }
      record(std::string("unary ") + kUnaryNames[kind] + " special", nan_ok ? worst : 1, 1e-6, "nan/inf/edges");
    }
  }
  Vec x3 = rand_vec(3);
  expect_invalid("unary", "unary_forward", mr::UnaryParams{4, 0, 0, 0}, {&x3}, {4}, "x smaller than n");
  expect_invalid("unary", "unary_forward", mr::UnaryParams{3, 0, 0, 0}, {&x3}, {2}, "y smaller than n");
  expect_invalid("unary", "unary_forward", mr::UnaryParams{3, 11, 0, 0}, {&x3}, {3}, "kind 11");
  expect_invalid("unary", "unary_forward", mr::UnaryParams{-1, 0, 0, 0}, {&x3}, {3}, "n = -1");
  Vec x2 = rand_vec(2);
  expect_invalid("unary", "unary_backward", mr::UnaryParams{3, 0, 0, 0}, {&x3, &x2, &x3}, {3}, "y smaller than n");
}

// =================================================================================================== binary
const char* kBinaryNames[] = {"add", "sub", "mul", "div", "max", "min", "step"};
static_assert(sizeof(kBinaryNames) / sizeof(kBinaryNames[0]) == mr::kBinaryKindCount, "a name per binary kind");
float binary_ref(int kind, float a, float b) {  // float, as the kernel: exact agreement expected
  switch (kind) {
    case mr::kAdd: return a + b;
    case mr::kSub: return a - b;
    case mr::kMul: return a * b;
    case mr::kDiv: return a / b;
    case mr::kMax: return (std::isnan(a) || std::isnan(b)) ? NAN : std::max(a, b);
    case mr::kMin: return (std::isnan(a) || std::isnan(b)) ? NAN : std::min(a, b);
    default: return (std::isnan(a) || std::isnan(b)) ? NAN : a > b ? 1.f : a < b ? 0.f : 0.5f;  // kStep
  }
}

// Broadcast a and b (same rank, 1 = broadcast) to out; strides as the TypeScript side computes them.
void binary_case(int kind, const std::vector<int>& out, const std::vector<int>& as, const std::vector<int>& bs,
                 bool nan_inputs = false) {
  const int r = int(out.size());
  mr::BinaryParams p{};
  p.kind = kind, p.rank = r;
  int64_t na = 1, nb = 1, ny = 1;
  for (int k = r - 1; k >= 0; --k) {
    p.shape[k] = out[size_t(k)];
    p.aStrides[k] = as[size_t(k)] == 1 ? 0 : int32_t(na);
    p.bStrides[k] = bs[size_t(k)] == 1 ? 0 : int32_t(nb);
    na *= as[size_t(k)], nb *= bs[size_t(k)], ny *= out[size_t(k)];
  }
  Vec a = rand_vec(na), b = rand_vec(nb);
  if (nan_inputs && na > 2) a[1] = NAN, a[2] = INFINITY;
  if (nan_inputs && nb > 3) b[3] = NAN;
  Vec y = must("binary_forward", p, {&a, &b}, {ny})[0];
  bool same = int64_t(y.size()) == ny;
  for (int64_t i = 0; same && i < ny; ++i) {
    int64_t rem = i, ia = 0, ib = 0;
    for (int k = r - 1; k >= 0; --k) {
      const int64_t idx = rem % out[size_t(k)];
      rem /= out[size_t(k)];
      ia += idx * p.aStrides[k], ib += idx * p.bStrides[k];
    }
    const float want = binary_ref(kind, a[size_t(ia)], b[size_t(ib)]), got = y[size_t(i)];
    same = (std::isnan(want) && std::isnan(got)) || std::memcmp(&want, &got, 4) == 0;
  }
  std::string shp = "out[";
  for (int d : out) shp += std::to_string(d) + ",";
  expect(std::string("binary ") + kBinaryNames[kind], same, shp + "]");
}

void check_binary() {
  const int rounds = g_quick ? 6 : 25;
  for (int kind = 0; kind < mr::kBinaryKindCount; ++kind) {
    binary_case(kind, {37}, {37}, {37});                  // same shape
    binary_case(kind, {100003}, {100003}, {1});           // scalar b, parallel
    binary_case(kind, {5, 100003}, {1, 100003}, {5, 1});  // both broadcast
    binary_case(kind, {1}, {1}, {1});                     // all size 1
    binary_case(kind, {3, 7, 11}, {3, 7, 11}, {1, 7, 1}, true);
    binary_case(kind, {2, 3, 5, 7, 11, 13}, {2, 1, 5, 1, 11, 1}, {1, 3, 1, 7, 1, 13});
    binary_case(kind, {4, 3, 3, 65536}, {4, 3, 3, 65536}, {1, 3, 1, 65536});  // inner both contiguous
    binary_case(kind, {4, 3, 3, 1000}, {4, 1, 3, 1}, {1, 3, 1, 1000});        // inner broadcast for a
    for (int t = 0; t < rounds; ++t) {
      const int r = irand(1, 6);
      std::vector<int> out(static_cast<size_t>(r)), as(static_cast<size_t>(r)), bs(static_cast<size_t>(r));
      for (int k = 0; k < r; ++k) {
        out[size_t(k)] = irand(1, r > 3 ? 6 : 40);
        as[size_t(k)] = irand(0, 2) ? out[size_t(k)] : 1;
        bs[size_t(k)] = irand(0, 2) ? out[size_t(k)] : 1;
        if (out[size_t(k)] == 1) as[size_t(k)] = bs[size_t(k)] = 1;
      }
      binary_case(kind, out, as, bs);
    }
  }
  // rank 0: one element
  {
    mr::BinaryParams p{};
    p.kind = mr::kMul;
    Vec a = {3}, b = {-2};
    Vec y = must("binary_forward", p, {&a, &b}, {1})[0];
    expect("binary mul", y.size() == 1 && y[0] == -6.0f, "rank 0");
  }
  // an empty output is fine
  {
    mr::BinaryParams p{};
    p.kind = mr::kAdd, p.rank = 2, p.shape[0] = 0, p.shape[1] = 4, p.aStrides[1] = 1, p.bStrides[1] = 1;
    Vec e;
    Result r = call("binary_forward", p, {&e, &e}, {0});
    expect("binary add", r.st.ok(), "empty");
  }
  mr::BinaryParams p{};
  p.kind = mr::kAdd, p.rank = 2, p.shape[0] = 3, p.shape[1] = 4;
  p.aStrides[0] = 4, p.aStrides[1] = 1, p.bStrides[1] = 1;
  Vec a12 = rand_vec(12), a11 = rand_vec(11), b4 = rand_vec(4), b3 = rand_vec(3), b5 = rand_vec(5);
  expect_invalid("binary", "binary_forward", p, {&a11, &b4}, {12}, "a smaller than its strides reach");
  expect_invalid("binary", "binary_forward", p, {&a12, &b3}, {12}, "b smaller than its strides reach");
  expect_invalid("binary", "binary_forward", p, {&a12, &b5}, {12}, "b larger than its strides reach");
  expect_invalid("binary", "binary_forward", p, {&a12, &b4}, {11}, "y of the wrong size");
  mr::BinaryParams q = p;
  q.kind = mr::kBinaryKindCount;
  expect_invalid("binary", "binary_forward", q, {&a12, &b4}, {12}, "kind " + std::to_string(mr::kBinaryKindCount));
  q = p, q.rank = 7;
  expect_invalid("binary", "binary_forward", q, {&a12, &b4}, {12}, "rank 7");
  q = p, q.aStrides[0] = -4;
  expect_invalid("binary", "binary_forward", q, {&a12, &b4}, {12}, "negative stride");
  q = p, q.aStrides[0] = 1 << 30, q.aStrides[1] = 1 << 30;
  expect_invalid("binary", "binary_forward", q, {&a12, &b4}, {12}, "huge strides");
  q = p;
  for (int k = 0; k < 6; ++k) q.shape[k] = 1 << 30;
  q.rank = 6;
  expect_invalid("binary", "binary_forward", q, {&a12, &b4}, {12}, "shape overflowing int64");
}

// =================================================================================================== reduce
const char* kReduceNames[] = {"sum", "mean", "max"};

void reduce_case(int kind, int outer, int R, int inner, bool ties = false) {
  const std::string key = std::string("reduce ") + kReduceNames[kind];
  const std::string d = dims({outer, R, inner}) + (ties ? " ties" : "");
  const int64_t nx = int64_t(outer) * R * inner, ny = int64_t(outer) * inner;
  Vec x = rand_vec(nx);
  if (kind == mr::kMaxR) {  // values 0.01 apart so that ±ε never changes the argmax; ties of the maximum if asked
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        std::vector<int> perm(static_cast<size_t>(R));
        for (int r = 0; r < R; ++r) perm[size_t(r)] = r;
        std::shuffle(perm.begin(), perm.end(), g_rng);
        for (int r = 0; r < R; ++r) x[size_t((o * R + r) * inner + i)] = float(perm[size_t(r)] * 0.01 - 0.005 * R);
        if (ties && R > 3 && (o + i) % 3 == 0) {  // tie of the maximum: the first index must win
          int rmax = 0;
          for (int r = 0; r < R; ++r) if (perm[size_t(r)] == R - 1) rmax = r;
          const int other = (rmax + 1 + irand(0, R - 2)) % R;
          x[size_t((o * R + other) * inner + i)] = x[size_t((o * R + rmax) * inner + i)];
        }
      }
  }
  mr::ReduceParams p{outer, R, inner, kind};
  Vec y = must("reduce_forward", p, {&x}, {ny})[0];
  DVec ref(static_cast<size_t>(ny));
  std::vector<int64_t> arg(static_cast<size_t>(ny));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0, m = -INFINITY;
      int64_t am = 0;
      for (int64_t r = 0; r < R; ++r) {
        const double v = x[size_t((o * R + r) * inner + i)];
        s += v;
        if (v > m) m = v, am = r;
      }
      ref[size_t(o * inner + i)] = kind == mr::kSum ? s : kind == mr::kMean ? s / R : m;
      arg[size_t(o * inner + i)] = am;
    }
  // sums of R values in [-1, 1]: error relative to the sum's scale (R), in double accumulation: ~ float rounding
  double scale = kind == mr::kMaxR ? 1 : (kind == mr::kSum ? R : 1);
  Vec yd(y);
  DVec refd(ref);
  double e = 0;
  for (size_t i = 0; i < y.size(); ++i) e = std::max(e, std::fabs(y[i] - ref[i]) / (std::fabs(ref[i]) + 1e-6 * scale));
  record(key + " fwd", y.size() == ref.size() ? e : INFINITY, kind == mr::kMaxR ? 0 : 1e-6, d);
  Vec dy = rand_vec(ny);
  Vec dx = must("reduce_backward", p, {&x, &y, &dy}, {nx})[0];
  DVec gref(static_cast<size_t>(nx));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t i = 0; i < inner; ++i) {
        const double g = dy[size_t(o * inner + i)];
        gref[size_t((o * R + r) * inner + i)] = kind == mr::kSum ? g : kind == mr::kMean ? g / R : (arg[size_t(o * inner + i)] == r ? g : 0);
      }
  record(key + " bwd", rel_err(dx, gref, 1e-30), 1e-6, d);
  if (nx <= 200000 && !ties) {  // (a tie is a kink of max)
    auto f = [&](const Vec& xx) { return must("reduce_forward", p, {&xx}, {ny})[0]; };
    fd_check(key, f, x, dx, dy, 1e-3, 2e-3, d, kind == mr::kMaxR ? 1e-3 : 0);
  }
}

void check_reduce() {
  for (int kind = 0; kind < mr::kReduceKindCount; ++kind) {
    reduce_case(kind, 1, 1, 1);
    reduce_case(kind, 7, 13, 1);
    reduce_case(kind, 3, 1, 17);
    reduce_case(kind, 5, 9, 11);
    reduce_case(kind, 2, 40000, 1);   // chunked rows
    reduce_case(kind, 1, 100003, 1);  // one long row
    reduce_case(kind, 2, 3, 70001);   // inner blocks
    reduce_case(kind, 1, 700, 513);   // a block edge
    reduce_case(kind, 37, 5, 1);
  }
  reduce_case(mr::kMaxR, 7, 13, 1, true);
  reduce_case(mr::kMaxR, 5, 9, 11, true);
  reduce_case(mr::kMaxR, 2, 40000, 1, true);
  reduce_case(mr::kMaxR, 2, 3, 70001, true);
  // NaN propagates through max and its gradient goes to the first NaN; sum propagates it too.
  {
    Vec x = {1, NAN, 5, NAN, 2};
    mr::ReduceParams p{1, 5, 1, mr::kMaxR};
    Vec y = must("reduce_forward", p, {&x}, {1})[0];
    Vec dy = {1}, ydum = {0};
    Vec dx = must("reduce_backward", p, {&x, &ydum, &dy}, {5})[0];
    expect("reduce max", std::isnan(y[0]) && dx[1] == 1 && dx[0] == 0 && dx[3] == 0, "NaN");
    Vec x2 = {1, 2, 3, NAN, 1, 0};  // inner = 2: columns {1, 3, 1} and {2, NaN, 0}
    mr::ReduceParams p2{1, 3, 2, mr::kMaxR};
    Vec y2 = must("reduce_forward", p2, {&x2}, {2})[0];
    Vec dy2 = {1, 1}, ydum2 = {0, 0};
    Vec dx2 = must("reduce_backward", p2, {&x2, &ydum2, &dy2}, {6})[0];
    expect("reduce max", y2[0] == 3 && std::isnan(y2[1]) && dx2[2] == 1 && dx2[3] == 1 && dx2[1] == 0, "NaN, inner 2");
  }
  Vec x = rand_vec(30), y6 = rand_vec(6), y5 = rand_vec(5);
  mr::ReduceParams p{2, 5, 3, mr::kSum};
  expect_invalid("reduce", "reduce_forward", p, {&x}, {5}, "y of the wrong size");
  expect_invalid("reduce", "reduce_forward", mr::ReduceParams{2, 5, 4, 0}, {&x}, {8}, "x of the wrong size");
  expect_invalid("reduce", "reduce_forward", mr::ReduceParams{2, 5, 3, 3}, {&x}, {6}, "kind 3");
  expect_invalid("reduce", "reduce_forward", mr::ReduceParams{6, 0, 5, 0}, {&x}, {30}, "reduce 0");
  expect_invalid("reduce", "reduce_forward", mr::ReduceParams{-2, 5, -3, 0}, {&x}, {6}, "negative dims");
  expect_invalid("reduce", "reduce_forward", mr::ReduceParams{1 << 30, 1 << 30, 1 << 30, 0}, {&x}, {6}, "overflow");
  expect_invalid("reduce", "reduce_backward", p, {&x, &y6, &y5}, {30}, "dy of the wrong size");
  expect_invalid("reduce", "reduce_backward", p, {&x, &y6, &y6}, {29}, "dx of the wrong size");
}

// ================================================================================================== softmax
void softmax_case(int outer, int C, int inner, double shift = 0) {
  const std::string d = dims({outer, C, inner});
  const int64_t n = int64_t(outer) * C * inner;
  Vec x = rand_vec(n, 0.0, 4);
  for (float& v : x) v += float(shift);
  mr::SoftmaxParams p{outer, C, inner};
  Vec y = must("softmax_forward", p, {&x}, {n})[0];
  DVec ref(static_cast<size_t>(n));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double m = -INFINITY, s = 0;
      for (int64_t c = 0; c < C; ++c) m = std::max(m, double(x[size_t((o * C + c) * inner + i)]));
      for (int64_t c = 0; c < C; ++c) s += std::exp(double(x[size_t((o * C + c) * inner + i)]) - m);
      for (int64_t c = 0; c < C; ++c)
        ref[size_t((o * C + c) * inner + i)] = std::exp(double(x[size_t((o * C + c) * inner + i)]) - m) / s;
    }
  record("softmax fwd", rel_err(y, ref, 1e-30), 2e-6, d);
  Vec dy = rand_vec(n);
  Vec dx = must("softmax_backward", p, {&y, &dy}, {n})[0];
  DVec gref(static_cast<size_t>(n));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += ref[size_t((o * C + c) * inner + i)] * dy[size_t((o * C + c) * inner + i)];
      for (int64_t c = 0; c < C; ++c) {
        const size_t k = size_t((o * C + c) * inner + i);
        gref[k] = ref[k] * (dy[k] - s);
      }
    }
  record("softmax bwd", scaled_err(dx, gref), 2e-6, d);
  if (n <= 100000) {
    auto f = [&](const Vec& xx) { return must("softmax_forward", p, {&xx}, {n})[0]; };
    fd_check("softmax", f, x, dx, dy, 1e-3, 2e-3, d);
  }
}

void check_softmax() {
  softmax_case(1, 1, 1);
  softmax_case(3, 7, 1);
  softmax_case(2, 1, 5);
  softmax_case(2, 3, 257);
  softmax_case(4, 17, 33);
  softmax_case(1, 1000, 1);
  softmax_case(2, 5, 100003);
  softmax_case(3, 4, 9, 80);   // large logits: no overflow
  softmax_case(3, 4, 9, -90);  // very negative logits: no underflow to 0/0
  Vec x = rand_vec(12);
  expect_invalid("softmax", "softmax_forward", mr::SoftmaxParams{2, 3, 2}, {&x}, {11}, "y of the wrong size");
  expect_invalid("softmax", "softmax_forward", mr::SoftmaxParams{2, 3, 3}, {&x}, {18}, "x of the wrong size");
  expect_invalid("softmax", "softmax_forward", mr::SoftmaxParams{2, 0, 3}, {&x}, {0}, "C = 0");
  expect_invalid("softmax", "softmax_backward", mr::SoftmaxParams{2, 3, 2}, {&x, &x}, {13}, "dx of the wrong size");
}

// ===================================================================================================== norm
struct NormRef {
  DVec y, mean, rstd;
};
NormRef norm_ref(const mr::NormParams& p, const Vec& x, const Vec* gamma, const Vec* beta) {
  const int64_t G = p.mode == 0 ? int64_t(p.N) * p.C : p.C;
  NormRef r{DVec(x.size()), DVec(static_cast<size_t>(G)), DVec(static_cast<size_t>(G))};
  for (int64_t g = 0; g < G; ++g) {
    std::vector<int64_t> rows;
    if (p.mode == 0) rows.push_back(g);
    else for (int64_t n = 0; n < p.N; ++n) rows.push_back(n * p.C + g);
    double s = 0, ss = 0, cnt = double(rows.size()) * p.S;
    for (int64_t row : rows) for (int64_t i = 0; i < p.S; ++i) s += x[size_t(row * p.S + i)];
    const double m = s / cnt;
    for (int64_t row : rows) for (int64_t i = 0; i < p.S; ++i) ss += (x[size_t(row * p.S + i)] - m) * (x[size_t(row * p.S + i)] - m);
    const double rs = 1 / std::sqrt(ss / cnt + p.eps);
    r.mean[size_t(g)] = m, r.rstd[size_t(g)] = rs;
    for (int64_t row : rows) {
      const int64_t c = row % p.C;
      for (int64_t i = 0; i < p.S; ++i) {
        const size_t k = size_t(row * p.S + i);
        r.y[k] = (x[k] - m) * rs * (gamma ? (*gamma)[size_t(c)] : 1) + (beta ? (*beta)[size_t(c)] : 0);
      }
    }
  }
  return r;
}

void norm_case(int mode, bool affine, int N, int C, int S, double offset = 0) {
  const std::string key = mode == 0 ? "norm instance" : "norm batch";
  const std::string d = dims({N, C, S}) + (affine ? " affine" : "");
  mr::NormParams p{N, C, S, mode, affine ? 1 : 0, 1e-5f};
  const int64_t n = int64_t(N) * C * S, G = mode == 0 ? int64_t(N) * C : C;
  Vec x = rand_vec(n, 0, 2);
  for (float& v : x) v += float(offset);
  Vec gamma = rand_vec(C, 0.5, 1.5), beta = rand_vec(C);
  std::vector<const Vec*> in = {&x};
  if (affine) in.push_back(&gamma), in.push_back(&beta);
  std::vector<Vec> out = must("norm_forward", p, in, {n, G, G});
  NormRef ref = norm_ref(p, x, affine ? &gamma : nullptr, affine ? &beta : nullptr);
  record(key + " fwd y", scaled_err(out[0], ref.y), 2e-6, d);
  record(key + " fwd mean", rel_err(out[1], ref.mean, 1e-6), 1e-6, d);
  record(key + " fwd rstd", rel_err(out[2], ref.rstd, 0), 1e-6, d);
  // apply with the forward's statistics gives the same y
  std::vector<const Vec*> ain = {&x, &out[1], &out[2]};
  if (affine) ain.push_back(&gamma), ain.push_back(&beta);
  Vec ya = must("norm_apply", p, ain, {n})[0];
  DVec yar(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = i / S, c = row % C, grp = mode == 0 ? row : c;
    yar[size_t(i)] = (x[size_t(i)] - double(out[1][size_t(grp)])) * out[2][size_t(grp)] * (affine ? gamma[size_t(c)] : 1.0) +
                     (affine ? beta[size_t(c)] : 0.0);
  }
  record(key + " apply", scaled_err(ya, yar), 2e-6, d);
  // backward: reference in double from the kernel's float mean and rstd (the backward's inputs), then finite
  // differences through norm_forward for x, gamma and beta
  Vec dy = rand_vec(n);
  std::vector<const Vec*> bin = {&x, &dy, &out[1], &out[2]};
  if (affine) bin.push_back(&gamma);
  std::vector<Vec> g = affine ? must("norm_backward", p, bin, {n, C, C}) : must("norm_backward", p, bin, {n});
  DVec dxr(static_cast<size_t>(n)), dgr(static_cast<size_t>(C), 0.0), dbr(static_cast<size_t>(C), 0.0);
  for (int64_t grp = 0; grp < G; ++grp) {
    std::vector<int64_t> rows;
    if (mode == 0) rows.push_back(grp);
    else for (int64_t nn = 0; nn < N; ++nn) rows.push_back(nn * C + grp);
    const double cnt = double(rows.size()) * S, m = out[1][size_t(grp)], rs = out[2][size_t(grp)];
    double sg = 0, sgx = 0;
    for (int64_t row : rows)
      for (int64_t i = 0; i < S; ++i) {
        const size_t k = size_t(row * S + i);
        const double gg = dy[k] * (affine ? gamma[size_t(row % C)] : 1.0), xh = (x[k] - m) * rs;
        sg += gg, sgx += gg * xh;
        dgr[size_t(row % C)] += dy[k] * xh, dbr[size_t(row % C)] += dy[k];
      }
    for (int64_t row : rows)
      for (int64_t i = 0; i < S; ++i) {
        const size_t k = size_t(row * S + i);
        const double gg = dy[k] * (affine ? gamma[size_t(row % C)] : 1.0), xh = (x[k] - m) * rs;
        dxr[k] = rs * (gg - sg / cnt - xh * sgx / cnt);
      }
  }
  // dx is a difference of terms of size rstd |dy gamma|: its error is relative to that scale
  double term = 0;
  for (int64_t i = 0; i < n; ++i)
    term = std::max(term, double(out[2][size_t(mode == 0 ? i / S : (i / S) % C)]) * std::fabs(dy[size_t(i)]) *
                              (affine ? std::fabs(gamma[size_t((i / S) % C)]) : 1.0));
  record(key + " bwd dx", scaled_err(g[0], dxr, term), 1e-5, d);
  if (affine) {
    record(key + " bwd dgamma", scaled_err(g[1], dgr), 1e-5, d);
    record(key + " bwd dbeta", scaled_err(g[2], dbr), 1e-5, d);
  }
  const int64_t count = mode == 0 ? S : int64_t(N) * S;
  if (n <= 60000 && count > 2) {  // (with 1 or 2 elements a group's normalised values are constants)
    auto fx = [&](const Vec& xx) {
      std::vector<const Vec*> i2 = {&xx};
      if (affine) i2.push_back(&gamma), i2.push_back(&beta);
      return must("norm_forward", p, i2, {n, G, G})[0];
    };
    fd_check(key + " dx", fx, x, g[0], dy, 1e-3, 2e-3, d);
    if (affine) {
      auto fg = [&](const Vec& gg) { return must("norm_forward", p, {&x, &gg, &beta}, {n, G, G})[0]; };
      fd_check(key + " dgamma", fg, gamma, g[1], dy, 1e-3, 2e-3, d);
      auto fb = [&](const Vec& bb) { return must("norm_forward", p, {&x, &gamma, &bb}, {n, G, G})[0]; };
      fd_check(key + " dbeta", fb, beta, g[2], dy, 1e-3, 2e-3, d);
    }
  }
}

void check_norm() {
  for (int mode = 0; mode < 2; ++mode)
    for (bool affine : {false, true}) {
      norm_case(mode, affine, 1, 1, 2);
      norm_case(mode, affine, 2, 3, 17);
      norm_case(mode, affine, 3, 5, 1);
      norm_case(mode, affine, 1, 4, 4099);
      norm_case(mode, affine, 2, 3, 40000);  // chunked rows
    }
  norm_case(0, true, 2, 3, 5001, 1000.0);  // mean far from 0: the two-pass variance keeps its digits
  norm_case(1, false, 3, 2, 3001, -500.0);
  // a constant row: variance 0, rstd = 1/sqrt(eps), y = beta
  {
    mr::NormParams p{1, 1, 8, 0, 0, 1e-5f};
    Vec x(8, 3.25f);
    std::vector<Vec> o = must("norm_forward", p, {&x}, {8, 1, 1});
    bool ok = o[1][0] == 3.25f && std::fabs(o[2][0] - 1 / std::sqrt(1e-5)) < 1e-2;
    for (float v : o[0]) ok = ok && v == 0.0f;
    expect("norm instance", ok, "constant row");
  }
  mr::NormParams p{2, 3, 4, 0, 1, 1e-5f};
  Vec x = rand_vec(24), x23 = rand_vec(23), g3 = rand_vec(3), g2 = rand_vec(2), m6 = rand_vec(6), m3 = rand_vec(3);
  expect_invalid("norm", "norm_forward", p, {&x, &g3, &g2}, {24, 6, 6}, "beta of the wrong size");
  expect_invalid("norm", "norm_forward", p, {&x23, &g3, &g3}, {24, 6, 6}, "x of the wrong size");
  expect_invalid("norm", "norm_forward", p, {&x, &g3, &g3}, {24, 3, 6}, "mean of the wrong size");
  expect_invalid("norm", "norm_forward", p, {&x}, {24, 6, 6}, "affine without gamma, beta");
  expect_invalid("norm", "norm_forward", mr::NormParams{2, 3, 4, 1, 0, 1e-5f}, {&x}, {24, 6, 6}, "batch stats sized N*C");
  expect_invalid("norm", "norm_forward", mr::NormParams{2, 3, 4, 2, 0, 1e-5f}, {&x}, {24, 6, 6}, "mode 2");
  expect_invalid("norm", "norm_forward", mr::NormParams{2, 3, 4, 0, 0, -1.0f}, {&x}, {24, 6, 6}, "eps < 0");
  expect_invalid("norm", "norm_forward", mr::NormParams{0, 3, 4, 0, 0, 1e-5f}, {&x}, {0, 0, 0}, "N = 0");
  expect_invalid("norm", "norm_apply", p, {&x, &m6, &m3, &g3, &g3}, {24}, "rstd of the wrong size");
  expect_invalid("norm", "norm_apply", p, {&x, &m6, &m6}, {24}, "affine without gamma, beta");
  expect_invalid("norm", "norm_backward", p, {&x, &x, &m6, &m6, &g3}, {24}, "affine with one output");
  expect_invalid("norm", "norm_backward", p, {&x, &x23, &m6, &m6, &g3}, {24, 3, 3}, "dy of the wrong size");
  expect_invalid("norm", "norm_backward", p, {&x, &x, &m6, &m6, &g2}, {24, 3, 3}, "gamma of the wrong size");
}

// ================================================================================================= upsample
// PyTorch's source index and weight for one axis, written out plainly (float arithmetic, as ATen's CPU code).
void src_index(int o, int in, int out, bool linear, bool align, int* i0, int* i1, double* l1) {
  if (in == out) { *i0 = *i1 = o; *l1 = 0; return; }
  if (!linear) {
    if (out == 2 * in) *i0 = o / 2;
    else {
      const float scale = float(in) / float(out);
      *i0 = std::min(int(std::floor(float(o) * scale)), in - 1);
    }
    *i1 = *i0, *l1 = 0;
    return;
  }
  float real;
  if (align) real = (out > 1 ? float(in - 1) / float(out - 1) : 0.0f) * float(o);
  else real = std::max(float(in) / float(out) * (float(o) + 0.5f) - 0.5f, 0.0f);
  *i0 = std::min(int(std::floor(real)), in - 1);
  *i1 = *i0 < in - 1 ? *i0 + 1 : *i0;
  *l1 = std::min(std::max(double(real - float(*i0)), 0.0), 1.0);
}

void upsample_case(int mode, int align, int N, int C, std::array<int, 3> in, std::array<int, 3> out) {
  const std::string key = std::string("upsample ") + (mode ? (align ? "linear ac" : "linear") : "nearest");
  const std::string d = dims({N, C, in[0], in[1], in[2]}) + "->" + dims({out[0], out[1], out[2]});
  mr::UpsampleParams p{N, C, in[0], in[1], in[2], out[0], out[1], out[2], mode, align};
  const int64_t nx = int64_t(N) * C * in[0] * in[1] * in[2], ny = int64_t(N) * C * out[0] * out[1] * out[2];
  Vec x = rand_vec(nx);
  Vec y = must("upsample_forward", p, {&x}, {ny})[0];
  DVec ref(static_cast<size_t>(ny), 0.0);
  Vec dy = rand_vec(ny);
  DVec gref(static_cast<size_t>(nx), 0.0);
  for (int64_t nc = 0; nc < int64_t(N) * C; ++nc)
    for (int od = 0; od < out[0]; ++od)
      for (int oh = 0; oh < out[1]; ++oh)
        for (int ow = 0; ow < out[2]; ++ow) {
          int i0[3], i1[3];
          double l1[3];
          const int o3[3] = {od, oh, ow};
          for (int a = 0; a < 3; ++a) src_index(o3[a], in[size_t(a)], out[size_t(a)], mode == 1, align == 1, &i0[a], &i1[a], &l1[a]);
          const size_t yi = size_t(((nc * out[0] + od) * out[1] + oh) * out[2] + ow);
          for (int corner = 0; corner < 8; ++corner) {
            double w = 1;
            int idx[3];
            for (int a = 0; a < 3; ++a) {
              const bool hi = (corner >> (2 - a)) & 1;
              idx[a] = hi ? i1[a] : i0[a];
              w *= hi ? l1[a] : 1 - l1[a];
            }
            const size_t xi = size_t(((nc * in[0] + idx[0]) * in[1] + idx[1]) * in[2] + idx[2]);
            ref[yi] += w * x[xi];
            gref[xi] += w * dy[yi];
          }
        }
  record(key + " fwd", scaled_err(y, ref), 1e-6, d);
  Vec dx = must("upsample_backward", p, {&dy}, {nx})[0];
  record(key + " bwd", scaled_err(dx, gref), 2e-6, d);
  // adjoint: <up(x), dy> = <x, up^T(dy)>
  double l = dot(y, dy), r = dot(x, dx), s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += std::fabs(double(x[i]) * dx[i]);
  record(key + " adjoint", std::fabs(l - r) / s, 1e-6, d);
  if (nx <= 20000) {
    auto f = [&](const Vec& xx) { return must("upsample_forward", p, {&xx}, {ny})[0]; };
    fd_check(key, f, x, dx, dy, 1e-2, 1e-3, d);
  }
}

void check_upsample() {
  for (int mode = 0; mode < 2; ++mode)
    for (int align = 0; align < (mode ? 2 : 1); ++align) {
      upsample_case(mode, align, 1, 1, {1, 1, 1}, {1, 1, 1});
      upsample_case(mode, align, 2, 3, {4, 5, 6}, {8, 10, 12});   // 2x
      upsample_case(mode, align, 1, 2, {5, 7, 3}, {7, 3, 11});    // non-integer, down and up
      upsample_case(mode, align, 2, 2, {1, 6, 9}, {1, 13, 4});    // 2D (D = 1)
      upsample_case(mode, align, 1, 3, {1, 1, 10}, {1, 1, 23});   // 1D
      upsample_case(mode, align, 1, 1, {1, 3, 1}, {4, 7, 5});     // size-1 axes up-sampled
      upsample_case(mode, align, 1, 1, {7, 7, 7}, {10, 10, 10});  // scale 0.7 (float rounding of in/out)
      upsample_case(mode, align, 1, 1, {3, 3, 3}, {9, 9, 9});
      upsample_case(mode, align, 1, 5, {16, 16, 16}, {32, 32, 32});  // parallel
      upsample_case(mode, align, 1, 1, {9, 8, 7}, {4, 3, 2});        // down-sampling only
    }
  Vec x = rand_vec(2 * 3 * 4);
  mr::UpsampleParams p{2, 3, 1, 2, 2, 1, 4, 4, 0, 0};
  expect_invalid("upsample", "upsample_forward", p, {&x}, {95}, "y of the wrong size");
  Vec x23 = rand_vec(23);
  expect_invalid("upsample", "upsample_forward", p, {&x23}, {96}, "x of the wrong size");
  mr::UpsampleParams q = p;
  q.mode = 2;
  expect_invalid("upsample", "upsample_forward", q, {&x}, {96}, "mode 2");
  q = p, q.alignCorners = 3;
  expect_invalid("upsample", "upsample_forward", q, {&x}, {96}, "alignCorners 3");
  q = p, q.outW = 0;
  expect_invalid("upsample", "upsample_forward", q, {&x}, {0}, "outW 0");
  q = p, q.outD = q.outH = q.outW = 1 << 30;
  expect_invalid("upsample", "upsample_forward", q, {&x}, {96}, "huge output");
  expect_invalid("upsample", "upsample_backward", p, {&x}, {24}, "dy of the wrong size");
}

// ===================================================================================================== gemm
void gemm_case(int M, int N, int K, int ta, int tb, int bias) {
  const std::string d = dims({M, N, K}) + (ta ? " tA" : "") + (tb ? " tB" : "") + (bias ? " bias" : "");
  Vec A = rand_vec(int64_t(M) * K), B = rand_vec(int64_t(K) * N), b = rand_vec(N);
  mr::GemmParams p{M, N, K, ta, tb, bias};
  std::vector<const Vec*> in = {&A, &B};
  if (bias) in.push_back(&b);
  Vec C = must("gemm", p, in, {int64_t(M) * N})[0];
  // error relative to Σ_k |a b| + |bias| of each element (the scale of its rounding errors)
  double e = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = bias ? b[size_t(j)] : 0, mag = bias ? std::fabs(b[size_t(j)]) : 0;
      for (int64_t k = 0; k < K; ++k) {
        const double av = ta ? A[size_t(k * M + i)] : A[size_t(i * K + k)];
        const double bv = tb ? B[size_t(j * K + k)] : B[size_t(k * N + j)];
        s += av * bv, mag += std::fabs(av * bv);
      }
      const double err = std::fabs(C[size_t(i * N + j)] - s) / (mag + 1e-30);
      if (!(err <= e)) e = std::isnan(err) ? INFINITY : err;
    }
  record(std::string("gemm ") + mr::isa_name(mr::active_isa()), C.size() == size_t(M) * N ? e : INFINITY, 2e-6, d);
}

void check_gemm() {
  const int shapes[][3] = {{1, 1, 1},    {1, 7, 13},    {5, 1, 9},     {3, 3, 3},       {4, 4, 4},    {13, 37, 5},
                           {12, 32, 256}, {13, 33, 257}, {100, 80, 300}, {257, 129, 513}, {6, 16, 1},   {64, 3, 100},
                           {2, 600, 70},  {300, 5, 2},   {700, 40, 33},  {31, 1000, 17},  {8, 8, 0},    {0, 5, 5}};
  for (auto& s : shapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int bias = 0; bias < 2; ++bias) {
          if (g_quick && s[0] * s[1] * s[2] > 100000 && (ta || bias)) continue;
          gemm_case(s[0], s[1], s[2], ta, tb, bias);
        }
  Vec A = rand_vec(6), B = rand_vec(6), b = rand_vec(2), b3 = rand_vec(3);
  expect_invalid("gemm", "gemm", mr::GemmParams{2, 2, 3, 0, 0, 0}, {&A, &B}, {3}, "C of the wrong size");
  expect_invalid("gemm", "gemm", mr::GemmParams{3, 2, 3, 0, 0, 0}, {&A, &B}, {6}, "A of the wrong size");
  expect_invalid("gemm", "gemm", mr::GemmParams{2, 2, 3, 0, 0, 1}, {&A, &B, &b3}, {4}, "bias of the wrong size");
  expect_invalid("gemm", "gemm", mr::GemmParams{2, 2, 3, 0, 0, 1}, {&A, &B}, {4}, "hasBias without bias");
  expect_invalid("gemm", "gemm", mr::GemmParams{2, 2, 3, 0, 0, 0}, {&A, &B, &b}, {4}, "bias without hasBias");
  expect_invalid("gemm", "gemm", mr::GemmParams{2, 2, 3, 2, 0, 0}, {&A, &B}, {4}, "transA 2");
  expect_invalid("gemm", "gemm", mr::GemmParams{-2, -2, 3, 0, 0, 0}, {&A, &B}, {4}, "negative M, N");
}

// =========================================================================================== concat / split
void concat_case(int outer, int inner, const std::vector<int>& sizes) {
  const std::string d = dims({outer, inner}) + " n=" + std::to_string(sizes.size());
  mr::ConcatParams p{};
  p.outer = outer, p.inner = inner, p.n = int(sizes.size());
  int total = 0;
  std::vector<Vec> xs;
  std::vector<const Vec*> in;
  for (size_t i = 0; i < sizes.size(); ++i) {
    p.sizes[i] = sizes[i], total += sizes[i];
    xs.push_back(rand_vec(int64_t(outer) * sizes[i] * inner));
  }
  for (auto& v : xs) in.push_back(&v);
  const int64_t ny = int64_t(outer) * total * inner;
  Vec y = must("concat", p, in, {ny})[0];
  bool ok = int64_t(y.size()) == ny;
  for (int64_t o = 0, pos = 0; ok && o < outer; ++o)
    for (size_t i = 0; i < sizes.size(); ++i)
      for (int64_t k = 0; k < int64_t(sizes[i]) * inner; ++k, ++pos)
        ok = ok && y[size_t(pos)] == xs[i][size_t(o * sizes[i] * inner + k)];
  expect("concat", ok, d);
  std::vector<int64_t> outs;
  for (int s : sizes) outs.push_back(int64_t(outer) * s * inner);
  std::vector<Vec> back = must("split", p, {&y}, outs);
  bool same = back.size() == xs.size();
  for (size_t i = 0; same && i < xs.size(); ++i) same = bitwise_equal(back[i], xs[i]);
  expect("split", same, d);
}

void check_concat() {
  concat_case(1, 1, {1});
  concat_case(2, 3, {1, 2});
  concat_case(3, 5, {0, 4, 0, 1});
  concat_case(7, 1, {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3});
  concat_case(2, 70001, {3, 1});  // big pieces, split across chunks
  concat_case(5, 4099, {16, 32, 1});
  concat_case(0, 4, {2, 2});
  for (int t = 0; t < (g_quick ? 4 : 20); ++t) {
    std::vector<int> s(static_cast<size_t>(irand(1, 16)));
    for (int& v : s) v = irand(0, 9);
    concat_case(irand(1, 9), irand(1, 3000), s);
  }
  mr::ConcatParams p{};
  p.outer = 2, p.inner = 3, p.n = 2, p.sizes[0] = 1, p.sizes[1] = 2;
  Vec a = rand_vec(6), b = rand_vec(12), b11 = rand_vec(11), y = rand_vec(18);
  expect_invalid("concat", "concat", p, {&a, &b11}, {18}, "input 1 of the wrong size");
  expect_invalid("concat", "concat", p, {&a, &b}, {17}, "output of the wrong size");
  expect_invalid("concat", "concat", p, {&a, &b, &a}, {18}, "n != number of inputs");
  mr::ConcatParams q = p;
  q.sizes[1] = -2;
  expect_invalid("concat", "concat", q, {&a, &b}, {18}, "negative size");
  q = p, q.n = 17;
  expect_invalid("concat", "concat", q, {&a, &b}, {18}, "n = 17");
  expect_invalid("split", "split", p, {&y}, {6, 11}, "output 1 of the wrong size");
  expect_invalid("split", "split", p, {&b11}, {6, 12}, "input of the wrong size");
}

// ================================================================================================== strided
struct View {
  std::vector<int> shape, strides;
  int offset = 0, inSize = 0;
};
mr::StridedParams params_of(const View& v) {
  mr::StridedParams p{};
  p.rank = int(v.shape.size()), p.offset = v.offset, p.inSize = v.inSize;
  for (size_t k = 0; k < v.shape.size(); ++k) p.shape[k] = v.shape[k], p.strides[k] = v.strides[k];
  return p;
}
template <typename F>
void for_each_index(const View& v, F f) {
  int64_t n = 1;
  for (int s : v.shape) n *= s;
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, src = v.offset;
    for (int k = int(v.shape.size()) - 1; k >= 0; --k) {
      src += (rem % v.shape[size_t(k)]) * v.strides[size_t(k)];
      rem /= v.shape[size_t(k)];
    }
    f(i, src);
  }
}

void strided_case(const View& v, const std::string& what) {
  mr::StridedParams p = params_of(v);
  int64_t n = 1;
  for (int s : v.shape) n *= s;
  Vec x = rand_vec(v.inSize);
  Vec y = must("strided_copy", p, {&x}, {n})[0];
  bool ok = int64_t(y.size()) == n;
  for_each_index(v, [&](int64_t i, int64_t src) { ok = ok && y[size_t(i)] == x[size_t(src)]; });
  expect("strided_copy", ok, what);
  Vec dy = rand_vec(n);
  Vec dx = must("strided_scatter_add", p, {&dy}, {v.inSize})[0];
  DVec ref(static_cast<size_t>(v.inSize), 0.0), mag(ref);
  for_each_index(v, [&](int64_t i, int64_t src) { ref[size_t(src)] += dy[size_t(i)], mag[size_t(src)] += std::fabs(dy[size_t(i)]); });
  record("strided_scatter_add", rel_err(dx, ref, 1e-30, &mag), 1e-6, what);  // relative to Σ |terms|
  // adjoint: <copy(x), dy> = <x, scatter(dy)>
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += std::fabs(double(x[i]) * dx[i]);
  record("strided adjoint", std::fabs(dot(y, dy) - dot(x, dx)) / (s + 1e-30), 1e-6, what);
}

void check_strided() {
  strided_case({{5}, {1}, 0, 5}, "identity");
  strided_case({{}, {}, 3, 7}, "rank 0 (one element at offset 3)");
  strided_case({{3, 4}, {1, 3}, 0, 12}, "transpose");
  strided_case({{2, 3, 4, 5}, {60, 1, 15, 3}, 0, 120}, "permute 4-d");
  strided_case({{2, 3, 4}, {40, 6, 1}, 7, 80}, "slice with offset");
  strided_case({{4, 3, 5}, {0, 5, 1}, 0, 15}, "broadcast outer");
  strided_case({{3, 5, 4}, {5, 1, 0}, 0, 15}, "broadcast inner");
  strided_case({{2, 70000}, {0, 1}, 0, 70000}, "broadcast, parallel targets");
  strided_case({{70001, 3}, {1, 0}, 0, 70001}, "broadcast innermost, parallel");
  strided_case({{3, 7, 11, 2, 3, 5}, {0, 33, 3, 0, 1, 0}, 0, 231}, "6-d, mixed broadcast");
  strided_case({{4, 3}, {1, 1}, 0, 6}, "overlapping windows (serial scatter)");
  strided_case({{5, 4, 3}, {2, 1, 0}, 1, 13}, "overlapping windows with broadcast");
  strided_case({{300, 301}, {302, 1}, 1, 300 * 302}, "crop, parallel");
  strided_case({{0, 3}, {3, 1}, 0, 4}, "empty view");
  strided_case({{2, 2}, {3, 1}, 0, 100}, "view of a larger buffer");
  strided_case({{37, 70}, {1, 37}, 0, 37 * 70}, "2-d transpose, tiled with edges");
  strided_case({{3, 33, 5, 65}, {1, 3 * 65 * 5, 3, 15}, 0, 3 * 33 * 5 * 65}, "4-d permute, tiled");
  strided_case({{2, 40, 3, 50}, {6007, 1, 4000, 40}, 11, 16100}, "tiled with offset and gaps");
  View v{{3, 4}, {4, 1}, 0, 12};
  Vec x12 = rand_vec(12), x11 = rand_vec(11);
  expect_invalid("strided", "strided_copy", params_of(v), {&x11}, {12}, "x smaller than inSize");
  View w = v;
  w.offset = 1;
  expect_invalid("strided", "strided_copy", params_of(w), {&x12}, {12}, "max index = inSize");
  w = v, w.strides[0] = -4;
  expect_invalid("strided", "strided_copy", params_of(w), {&x12}, {12}, "negative stride");
  w = v, w.inSize = 11;
  expect_invalid("strided", "strided_copy", params_of(w), {&x12}, {12}, "inSize != buffer");
  w = v;
  expect_invalid("strided", "strided_copy", params_of(w), {&x12}, {11}, "y of the wrong size");
  w = {{1 << 30, 1 << 30, 4}, {1 << 30, 1 << 30, 1}, 0, 12};
  expect_invalid("strided", "strided_copy", params_of(w), {&x12}, {12}, "huge strides");
  mr::StridedParams r = params_of(v);
  r.rank = 7;
  expect_invalid("strided", "strided_copy", r, {&x12}, {12}, "rank 7");
  expect_invalid("strided", "strided_scatter_add", params_of(v), {&x11}, {12}, "dy of the wrong size");
  expect_invalid("strided", "strided_scatter_add", params_of(v), {&x12}, {11}, "dx smaller than inSize");
}

// ===================================================================================================== fuzz
// Random params (small, zero, negative and huge fields) with random buffer sizes (often products of the
// fields, so that some calls are consistent): every call must return OK or InvalidArgument, and never touch
// memory outside the buffers (which an -fsanitize=address build of this check verifies).
void check_fuzz() {
  const char* names[] = {"upsample_forward", "upsample_backward", "norm_forward", "norm_apply", "norm_backward",
                         "unary_forward", "unary_backward", "binary_forward", "reduce_forward", "reduce_backward",
                         "softmax_forward", "softmax_backward", "gemm", "concat", "split", "strided_copy",
                         "strided_scatter_add"};
  const int32_t values[] = {-7, -1, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 7, 8, 16, 1 << 30, 0x7fffffff};
  const int trials = g_quick ? 300 : 3000;
  for (const char* name : names) {
    const mr::KernelDef* def = mr::find_kernel(name);
    int ok = 0, refused = 0, other = 0;
    for (int t = 0; t < trials; ++t) {
      std::vector<int32_t> fields(def->params_bytes / 4);
      for (int32_t& f : fields) f = values[irand(0, int(sizeof(values) / sizeof(values[0])) - 1)];
      auto size = [&]() -> int64_t {
        if (irand(0, 2) == 0) return irand(0, 40);
        int64_t v = 1;
        for (int k = irand(1, 4); k > 0 && v <= 4096; --k) v *= std::abs(int64_t(fields[size_t(irand(0, int(fields.size()) - 1))]));
        return v <= 4096 ? v : irand(0, 40);
      };
      const int nin = irand(def->min_in, def->max_in), nout = irand(def->min_out, def->max_out);
      std::vector<Vec> ins(static_cast<size_t>(nin));
      std::vector<const Vec*> ip;
      std::vector<int64_t> os;
      for (auto& v : ins) v = rand_vec(size()), ip.push_back(&v);
      for (int i = 0; i < nout; ++i) os.push_back(size());
      Result r;
      {
        std::vector<const float*> pin;
        std::vector<int64_t> is;
        for (const Vec* v : ip) pin.push_back(v->empty() ? g_empty : v->data()), is.push_back(int64_t(v->size()));
        r.out.resize(os.size());
        std::vector<float*> po;
        for (size_t i = 0; i < os.size(); ++i) {
          r.out[i].assign(static_cast<size_t>(os[i]), 0.0f);
          po.push_back(r.out[i].empty() ? g_empty : r.out[i].data());
        }
        mr::KernelArgs a{pin.data(), is.data(), nin, po.data(), os.data(), nout, fields.data(), def->params_bytes};
        r.st = mr::run_kernel(name, a);
      }
      if (r.st.ok()) ++ok;
      else if (r.st.code == mr::Code::InvalidArgument) ++refused;
      else {
        ++other;
        std::printf("FAIL fuzz %s: %s %s\n", name, mr::code_name(r.st.code), r.st.message.c_str());
      }
    }
    if (g_verbose) std::printf("fuzz %-20s %d accepted, %d refused\n", name, ok, refused);
    expect(std::string("fuzz ") + name, other == 0, std::to_string(ok) + " accepted, " + std::to_string(refused) + " refused");
  }
}

// A valid random call of a kernel (params as int32 fields, buffer sizes), for the mutation fuzz below.
struct Config {
  std::vector<int32_t> f;
  std::vector<int64_t> in, out;
};
template <typename P>
std::vector<int32_t> fields_of(const P& p) {
  std::vector<int32_t> f(sizeof(P) / 4);
  std::memcpy(f.data(), &p, sizeof(P));
  return f;
}
Config valid_config(const std::string& name) {
  auto r = [](int lo, int hi) { return irand(lo, hi); };
  if (name.rfind("upsample", 0) == 0) {
    mr::UpsampleParams p{r(1, 2), r(1, 3), r(1, 4), r(1, 4), r(1, 4), r(1, 5), r(1, 5), r(1, 5), r(0, 1), r(0, 1)};
    const int64_t x = int64_t(p.N) * p.C * p.inD * p.inH * p.inW, y = int64_t(p.N) * p.C * p.outD * p.outH * p.outW;
    return name == "upsample_forward" ? Config{fields_of(p), {x}, {y}} : Config{fields_of(p), {y}, {x}};
  }
  if (name.rfind("norm", 0) == 0) {
    mr::NormParams p{r(1, 3), r(1, 3), r(1, 9), r(0, 1), r(0, 1), 1e-5f};
    const int64_t x = int64_t(p.N) * p.C * p.S, g = p.mode == 0 ? int64_t(p.N) * p.C : p.C, c = p.C;
    if (name == "norm_forward") return {fields_of(p), p.hasAffine ? std::vector<int64_t>{x, c, c} : std::vector<int64_t>{x}, {x, g, g}};
    if (name == "norm_apply") return {fields_of(p), p.hasAffine ? std::vector<int64_t>{x, g, g, c, c} : std::vector<int64_t>{x, g, g}, {x}};
    return {fields_of(p), p.hasAffine ? std::vector<int64_t>{x, x, g, g, c} : std::vector<int64_t>{x, x, g, g},
            p.hasAffine ? std::vector<int64_t>{x, c, c} : std::vector<int64_t>{x}};
  }
  if (name.rfind("unary", 0) == 0) {
    mr::UnaryParams p{r(0, 50), r(0, mr::kUnaryKindCount - 1), 0.5f, 0.5f};
    return name == "unary_forward" ? Config{fields_of(p), {p.n}, {p.n}} : Config{fields_of(p), {p.n, p.n, p.n}, {p.n}};
  }
  if (name == "binary_forward") {
    mr::BinaryParams p{};
    p.kind = r(0, mr::kBinaryKindCount - 1), p.rank = r(0, 6);
    int64_t na = 1, nb = 1, ny = 1;
    for (int k = p.rank - 1; k >= 0; --k) {
      p.shape[k] = r(1, 3);
      p.aStrides[k] = r(0, 1) ? int32_t(na) : 0, p.bStrides[k] = r(0, 1) ? int32_t(nb) : 0;
      na *= p.aStrides[k] ? p.shape[k] : 1, nb *= p.bStrides[k] ? p.shape[k] : 1, ny *= p.shape[k];
    }
    return {fields_of(p), {na, nb}, {ny}};
  }
  if (name.rfind("reduce", 0) == 0) {
    mr::ReduceParams p{r(0, 3), r(1, 5), r(0, 4), r(0, 2)};
    const int64_t x = int64_t(p.outer) * p.reduce * p.inner, y = int64_t(p.outer) * p.inner;
    return name == "reduce_forward" ? Config{fields_of(p), {x}, {y}} : Config{fields_of(p), {x, y, y}, {x}};
  }
  if (name.rfind("softmax", 0) == 0) {
    mr::SoftmaxParams p{r(0, 3), r(1, 5), r(0, 4)};
    const int64_t x = int64_t(p.outer) * p.C * p.inner;
    return name == "softmax_forward" ? Config{fields_of(p), {x}, {x}} : Config{fields_of(p), {x, x}, {x}};
  }
  if (name == "gemm") {
    mr::GemmParams p{r(0, 9), r(0, 9), r(0, 9), r(0, 1), r(0, 1), r(0, 1)};
    std::vector<int64_t> in = {int64_t(p.M) * p.K, int64_t(p.K) * p.N};
    if (p.hasBias) in.push_back(p.N);
    return {fields_of(p), in, {int64_t(p.M) * p.N}};
  }
  if (name == "concat" || name == "split") {
    mr::ConcatParams p{};
    p.outer = r(0, 3), p.inner = r(0, 3), p.n = r(1, 4);
    std::vector<int64_t> parts;
    int64_t total = 0;
    for (int i = 0; i < p.n; ++i) p.sizes[i] = r(0, 3), total += p.sizes[i], parts.push_back(int64_t(p.outer) * p.sizes[i] * p.inner);
    const int64_t whole = int64_t(p.outer) * total * p.inner;
    return name == "concat" ? Config{fields_of(p), parts, {whole}} : Config{fields_of(p), {whole}, parts};
  }
  mr::StridedParams p{};  // strided_copy / strided_scatter_add
  p.rank = r(0, 4), p.offset = r(0, 3);
  int64_t ny = 1, last = p.offset;
  for (int k = 0; k < p.rank; ++k) p.shape[k] = r(1, 4), p.strides[k] = r(0, 5), ny *= p.shape[k], last += int64_t(p.shape[k] - 1) * p.strides[k];
  p.inSize = int32_t(last + 1 + r(0, 2));
  return name == "strided_copy" ? Config{fields_of(p), {p.inSize}, {ny}} : Config{fields_of(p), {ny}, {p.inSize}};
}

// Valid calls with one thing changed: a params field or a buffer size set to a neighbour, 0, -1 or a huge
// value. Every call must give OK or InvalidArgument; out-of-bounds accesses show under -fsanitize=address.
void check_mutations() {
  const char* names[] = {"upsample_forward", "upsample_backward", "norm_forward", "norm_apply", "norm_backward",
                         "unary_forward", "unary_backward", "binary_forward", "reduce_forward", "reduce_backward",
                         "softmax_forward", "softmax_backward", "gemm", "concat", "split", "strided_copy",
                         "strided_scatter_add"};
  const int trials = g_quick ? 300 : 2000;
  for (const char* name : names) {
    const mr::KernelDef* def = mr::find_kernel(name);
    int ok = 0, refused = 0, other = 0, valid_failed = 0;
    for (int t = 0; t < trials; ++t) {
      Config c = valid_config(name);
      const bool mutate = t % 4 != 0;  // every 4th call stays valid and must succeed
      if (mutate) {
        auto change = [&](int64_t v) -> int64_t {
          switch (irand(0, 5)) {
            case 0: return v + 1;
            case 1: return v - 1;
            case 2: return 0;
            case 3: return -1;
            case 4: return v * 2 + 1;
            default: return irand(0, 1) ? (int64_t(1) << 30) : 0x7fffffff;
          }
        };
        const int which = irand(0, int(c.f.size() + c.in.size() + c.out.size()) - 1);
        if (which < int(c.f.size())) c.f[size_t(which)] = int32_t(change(c.f[size_t(which)]));
        else if (which < int(c.f.size() + c.in.size())) {
          int64_t& v = c.in[size_t(which) - c.f.size()];
          v = std::max<int64_t>(0, std::min<int64_t>(change(v), 5000));
        } else {
          int64_t& v = c.out[size_t(which) - c.f.size() - c.in.size()];
          v = std::max<int64_t>(0, std::min<int64_t>(change(v), 5000));
        }
      }
      std::vector<Vec> ins;
      for (int64_t n : c.in) ins.push_back(rand_vec(n));
      std::vector<const float*> pin;
      for (const Vec& v : ins) pin.push_back(v.empty() ? g_empty : v.data());
      std::vector<Vec> outs;
      std::vector<float*> po;
      for (int64_t n : c.out) outs.emplace_back(static_cast<size_t>(n), 0.0f);
      for (Vec& v : outs) po.push_back(v.empty() ? g_empty : v.data());
      mr::KernelArgs a{pin.data(), c.in.data(), int(c.in.size()), po.data(), c.out.data(), int(c.out.size()),
                       c.f.data(), def->params_bytes};
      const mr::Status st = mr::run_kernel(name, a);
      if (st.ok()) ++ok;
      else if (st.code == mr::Code::InvalidArgument) ++refused;
      else ++other, std::printf("FAIL mutation %s: %s %s\n", name, mr::code_name(st.code), st.message.c_str());
      if (!mutate && !st.ok()) ++valid_failed, std::printf("FAIL valid call of %s refused: %s\n", name, st.message.c_str());
    }
    if (g_verbose) std::printf("mutations %-20s %d accepted, %d refused\n", name, ok, refused);
    expect(std::string("mutations ") + name, other == 0 && valid_failed == 0,
           std::to_string(ok) + " accepted, " + std::to_string(refused) + " refused");
  }
}

// ============================================================================================ determinism
// The same call with 1 and with several threads gives bitwise identical results.
void check_threads() {
  struct Run {
    std::string name;
    std::function<std::vector<Vec>()> f;
  };
  Vec big = rand_vec(3 * 70001 * 2), dy = rand_vec(3 * 70001 * 2), row = rand_vec(300007);
  Vec A = rand_vec(300 * 200), B = rand_vec(200 * 500);
  std::vector<Run> runs = {
      {"reduce sum rows", [&] { return must("reduce_forward", mr::ReduceParams{1, 300007, 1, 0}, {&row}, {1}); }},
      {"reduce mean inner", [&] { return must("reduce_forward", mr::ReduceParams{3, 70001, 2, 1}, {&big}, {6}); }},
      {"norm batch", [&] {
         mr::NormParams p{3, 2, 70001, 1, 0, 1e-5f};
         std::vector<Vec> o = must("norm_forward", p, {&big}, {int64_t(big.size()), 2, 2});
         std::vector<Vec> g = must("norm_backward", p, {&big, &dy, &o[1], &o[2]}, {int64_t(big.size())});
         o.push_back(g[0]);
         return o;
       }},
      {"softmax", [&] { return must("softmax_forward", mr::SoftmaxParams{3, 2, 70001}, {&big}, {int64_t(big.size())}); }},
      {"gemm", [&] { return must("gemm", mr::GemmParams{300, 500, 200, 0, 0, 0}, {&A, &B}, {300 * 500}); }},
      {"strided scatter", [&] {
         mr::StridedParams p{};
         p.rank = 2, p.inSize = 300007, p.shape[0] = 3, p.shape[1] = 300007, p.strides[1] = 1;
         Vec d3(3 * 300007, 0.5f);
         for (size_t i = 0; i < d3.size(); ++i) d3[i] = big[i % big.size()];
         return must("strided_scatter_add", p, {&d3}, {300007});
       }},
  };
  const int hw = mr::num_threads();
  for (auto& r : runs) {
    mr::set_num_threads(1);
    std::vector<Vec> one = r.f();
    bool same = true;
    for (int t : {2, 3, 7}) {
      mr::set_num_threads(t);
      std::vector<Vec> many = r.f();
      for (size_t i = 0; i < one.size(); ++i) same = same && bitwise_equal(one[i], many[i]);
    }
    expect("threads " + r.name, same, "1 vs 2, 3, 7 threads");
  }
  mr::set_num_threads(hw);
}

// =================================================================================================== bench
// Runs a kernel on preallocated buffers (no allocation or page faults in the timing); best of `reps`.
template <typename P>
double bench_ms(const char* name, const P& p, const std::vector<const Vec*>& in, std::vector<Vec*> out, int reps = 5) {
  std::vector<const float*> ip;
  std::vector<int64_t> is, os;
  std::vector<float*> op;
  for (const Vec* v : in) ip.push_back(v->data()), is.push_back(int64_t(v->size()));
  for (Vec* v : out) op.push_back(v->data()), os.push_back(int64_t(v->size()));
  mr::KernelArgs a{ip.data(), is.data(), int(ip.size()), op.data(), os.data(), int(op.size()), &p, sizeof(P)};
  double best = 1e30;
  for (int i = 0; i <= reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    mr::Status st = mr::run_kernel(name, a);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) {
      std::printf("FAIL bench %s: %s\n", name, st.message.c_str());
      return NAN;
    }
    if (i > 0) best = std::min(best, ms);  // the first run warms up
  }
  return best;
}

void bench() {
  std::printf("bench (%d threads, %s), best of 5:\n", mr::num_threads(), mr::isa_name(mr::active_isa()));
  const int64_t n = 1 << 24;
  Vec x = rand_vec(n), xp = rand_pos(n, 0.1, 4), y(static_cast<size_t>(n)), dy = rand_vec(n), dx(static_cast<size_t>(n));
  {
    Vec z(static_cast<size_t>(n));
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(z.data(), x.data(), size_t(n) * 4);
    std::memcpy(z.data(), dy.data(), size_t(n) * 4);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 2;
    std::printf("  memcpy 64 MB (reference):      %7.2f ms\n", ms);
  }
  for (int kind = 0; kind < mr::kUnaryKindCount; ++kind) {
    const Vec& xx = kind == mr::kLog || kind == mr::kSqrt ? xp : x;
    mr::UnaryParams p{int32_t(n), kind, 0.01f, 0};
    const double ms = bench_ms("unary_forward", p, {&xx}, {&y});
    const double mb = bench_ms("unary_backward", p, {&xx, &y, &dy}, {&dx});
    std::printf("  unary %-8s 16M: fwd %7.2f ms (%5.2f ns/elt)  bwd %7.2f ms\n", kUnaryNames[kind], ms, ms * 1e6 / n, mb);
  }
  {
    mr::BinaryParams p{};
    p.kind = mr::kMul, p.rank = 2, p.shape[0] = 64, p.shape[1] = int32_t(n / 64), p.aStrides[0] = int32_t(n / 64),
    p.aStrides[1] = 1, p.bStrides[0] = 1;
    Vec b = rand_vec(64);
    std::printf("  binary mul [64, 256k] * [64, 1]:  %7.2f ms\n", bench_ms("binary_forward", p, {&x, &b}, {&y}));
    mr::BinaryParams q = p;
    q.bStrides[0] = int32_t(n / 64), q.bStrides[1] = 1;
    std::printf("  binary mul same shape 16M:        %7.2f ms\n", bench_ms("binary_forward", q, {&x, &dy}, {&y}));
    q.kind = mr::kMax;
    std::printf("  binary max same shape 16M:        %7.2f ms\n", bench_ms("binary_forward", q, {&x, &dy}, {&y}));
    mr::BinaryParams r = p;  // [64, 1] broadcast against [1, 256k]: no contiguous inner axis for b
    r.aStrides[0] = 0, r.aStrides[1] = 1, r.bStrides[0] = 1, r.bStrides[1] = 0;
    Vec a2 = rand_vec(n / 64);
    std::printf("  binary mul [1, 256k] * [64, 1]:   %7.2f ms\n", bench_ms("binary_forward", r, {&a2, &b}, {&y}));
  }
  {
    Vec y16(16), y1m(static_cast<size_t>(n / 16));
    std::printf("  reduce sum (16, 1M, 1):  %7.2f ms\n", bench_ms("reduce_forward", mr::ReduceParams{16, int32_t(n / 16), 1, 0}, {&x}, {&y16}));
    std::printf("  reduce max (16, 1M, 1):  %7.2f ms\n", bench_ms("reduce_forward", mr::ReduceParams{16, int32_t(n / 16), 1, 2}, {&x}, {&y16}));
    std::printf("  reduce sum (1, 16, 1M):  %7.2f ms\n", bench_ms("reduce_forward", mr::ReduceParams{1, 16, int32_t(n / 16), 0}, {&x}, {&y1m}));
    std::printf("  reduce max (1, 16, 1M):  %7.2f ms\n", bench_ms("reduce_forward", mr::ReduceParams{1, 16, int32_t(n / 16), 2}, {&x}, {&y1m}));
    std::printf("  reduce max bwd (16, 1M, 1):  %7.2f ms\n", bench_ms("reduce_backward", mr::ReduceParams{16, int32_t(n / 16), 1, 2}, {&x, &y16, &y16}, {&dx}));
    std::printf("  reduce max bwd (1, 16, 1M):  %7.2f ms\n", bench_ms("reduce_backward", mr::ReduceParams{1, 16, int32_t(n / 16), 2}, {&x, &y1m, &y1m}, {&dx}));
  }
  std::printf("  softmax fwd (1, 4, 4M):  %7.2f ms\n", bench_ms("softmax_forward", mr::SoftmaxParams{1, 4, int32_t(n / 4)}, {&x}, {&y}));
  std::printf("  softmax bwd (1, 4, 4M):  %7.2f ms\n", bench_ms("softmax_backward", mr::SoftmaxParams{1, 4, int32_t(n / 4)}, {&x, &dy}, {&dx}));
  {
    mr::NormParams p{2, 32, int32_t(n / 64), 0, 1, 1e-5f};
    Vec g = rand_vec(32), b = rand_vec(32), m(64), r(64), dg(32), db(32);
    const double f = bench_ms("norm_forward", p, {&x, &g, &b}, {&y, &m, &r});
    const double bw = bench_ms("norm_backward", p, {&x, &dy, &m, &r, &g}, {&dx, &dg, &db});
    std::printf("  instance norm [2, 32, 256k] fwd: %7.2f ms  bwd: %7.2f ms\n", f, bw);
  }
  for (int mode = 0; mode < 2; ++mode) {
    mr::UpsampleParams p{1, 16, 32, 32, 32, 64, 64, 64, mode, 0};
    Vec xi = rand_vec(16 * 32768), xo(16 * 32768), go = rand_vec(16 * 262144), yo(16 * 262144);
    const double f = bench_ms("upsample_forward", p, {&xi}, {&yo});
    const double bw = bench_ms("upsample_backward", p, {&go}, {&xo});
    std::printf("  upsample %-7s [1,16,32^3]->64^3 fwd %7.2f ms  bwd %7.2f ms\n", mode ? "linear" : "nearest", f, bw);
  }
  for (int s : {64, 256, 1024}) {
    Vec A = rand_vec(int64_t(s) * s), B = rand_vec(int64_t(s) * s), C(static_cast<size_t>(s) * s);
    for (int tb = 0; tb < 2; ++tb) {
      const double ms = bench_ms("gemm", mr::GemmParams{s, s, s, 0, tb, 0}, {&A, &B}, {&C});
      std::printf("  gemm %d^3 transB=%d: %7.3f ms  %6.1f GFLOP/s\n", s, tb, ms, 2.0 * s * s * s / ms / 1e6);
    }
  }
  {
    Vec A = rand_vec(4 * 4096), A2 = rand_vec(2 * 4096), B = rand_vec(4096 * 4096), C(4 * 4096), C2(2 * 4096);
    const double ms = bench_ms("gemm", mr::GemmParams{4, 4096, 4096, 0, 1, 0}, {&A, &B}, {&C});
    std::printf("  gemm M=4 N=K=4096 transB: %7.2f ms  %6.1f GFLOP/s\n", ms, 2.0 * 4 * 4096 * 4096 / ms / 1e6);
    const double ms2 = bench_ms("gemm", mr::GemmParams{2, 4096, 4096, 0, 1, 0}, {&A2, &B}, {&C2});
    std::printf("  gemm M=2 N=K=4096 transB (thin): %7.2f ms  %6.1f GFLOP/s\n", ms2, 2.0 * 2 * 4096 * 4096 / ms2 / 1e6);
  }
  {
    mr::StridedParams p{};  // a 3-d transpose of 16M
    p.rank = 3, p.inSize = int32_t(n), p.shape[0] = 256, p.shape[1] = 256, p.shape[2] = 256;
    p.strides[0] = 1, p.strides[1] = 256, p.strides[2] = 65536;
    std::printf("  strided_copy transpose 256^3:   %7.2f ms\n", bench_ms("strided_copy", p, {&x}, {&y}));
    std::printf("  strided_scatter transpose 256^3: %7.2f ms\n", bench_ms("strided_scatter_add", p, {&dy}, {&dx}));
    mr::StridedParams q{};  // bias gradient: [16, 64, 16384] summed onto [64]
    q.rank = 3, q.inSize = 64, q.shape[0] = 16, q.shape[1] = 64, q.shape[2] = 16384, q.strides[1] = 1;
    Vec d64(64);
    std::printf("  strided_scatter broadcast [16,64,16k]->[64]: %7.2f ms\n", bench_ms("strided_scatter_add", q, {&dy}, {&d64}));
  }
  {
    mr::ConcatParams p{};
    p.outer = 2, p.inner = 262144, p.n = 2, p.sizes[0] = 16, p.sizes[1] = 16;
    Vec a(static_cast<size_t>(n / 2)), b(static_cast<size_t>(n / 2));
    std::printf("  concat 2 x [2,16,256k]:          %7.2f ms\n", bench_ms("concat", p, {&a, &b}, {&y}));
  }
}

// Kernels flush denormals whatever the calling thread's mode, and give that mode back: a result must not depend on
// which libuv thread ran it (a CI run once saw tortuosity differ by 1e-10 between two solves of the same volume), and
// Node's main thread must keep IEEE denormals for JavaScript (a small conv3d run there once turned
// Number.MIN_VALUE * 3 into 0 for the rest of the process).
void check_float_mode() {
#if defined(__x86_64__)
  constexpr unsigned kFtzDaz = _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON;
  for (const bool caller_flushes : {false, true}) {
    const std::string key = std::string("float mode (caller ") + (caller_flushes ? "flushes)" : "keeps denormals)");
    std::thread([&] {
      _mm_setcsr(caller_flushes ? (_mm_getcsr() | kFtzDaz) : (_mm_getcsr() & ~kFtzDaz));
      const unsigned before = _mm_getcsr() & kFtzDaz;
      bool inside_serial = false;
      mr::parallel_for(1, 1, [&](int64_t, int64_t) { inside_serial = mr::flushing_denormals(); });
      expect(key, inside_serial, "serial parallel_for runs flushing");
      expect(key, (_mm_getcsr() & kFtzDaz) == before, "serial parallel_for restores the caller's mode");
      bool caller_chunk = true;
      mr::parallel_run([&](int t, int) { if (t == 0) caller_chunk = mr::flushing_denormals(); });
      expect(key, caller_chunk, "the caller's share of a region runs flushing");
      expect(key, (_mm_getcsr() & kFtzDaz) == before, "a region restores the caller's mode");
      // 1e-20 * 1e-20 = 1e-40 is a float denormal: flushed to +0 on every thread, whatever the caller's mode.
      Vec a(8, 1e-20f), b(8, 1e-20f);
      mr::BinaryParams p{};
      p.kind = mr::kMul, p.rank = 1, p.shape[0] = 8, p.aStrides[0] = 1, p.bStrides[0] = 1;
      const Vec y = must("binary_forward", p, {&a, &b}, {8})[0];
      expect(key, y.size() == 8 && std::all_of(y.begin(), y.end(), [](float v) { return v == 0.0f; }),
             "a denormal product is flushed the same way on any thread");
      expect(key, (_mm_getcsr() & kFtzDaz) == before, "a kernel restores the caller's mode");
    }).join();
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  bool do_bench = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--verbose")) g_verbose = true;
    else if (!std::strcmp(argv[i], "--quick")) g_quick = true;
    else if (!std::strcmp(argv[i], "--bench")) do_bench = true;
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) g_rng.seed(std::strtoull(argv[++i], nullptr, 10));
  }
  std::printf("ops_check: isa %s (detected %s), %d threads\n", mr::isa_name(mr::active_isa()),
              mr::isa_name(mr::detected_isa()), mr::num_threads());
  check_unary();
  check_binary();
  check_reduce();
  check_softmax();
  check_norm();
  check_upsample();
  check_gemm();
  check_concat();
  check_strided();
  check_fuzz();
  check_mutations();
  check_threads();
  check_float_mode();
  int fails = 0, checks = 0;
  std::printf("%-34s %7s %6s %10s\n", "check", "cases", "fails", "max error");
  for (auto& [k, s] : g_stats) {
    std::printf("%-34s %7d %6d %10.3g\n", k.c_str(), s.checks, s.fails, s.worst);
    fails += s.fails, checks += s.checks;
  }
  std::printf("%s: %d checks, %d failed\n", fails ? "FAILED" : "PASSED", checks, fails);
  if (do_bench) bench();
  return fails ? 1 : 0;
}
