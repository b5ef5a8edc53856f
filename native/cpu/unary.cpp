// Element-wise unary ops and their gradients (UnaryKind in params.h). Loops are written for the compiler to
// vectorise at -O3; exp, sigmoid and tanh use a branch-free exp (Cephes polynomial, ~1 ulp) instead of
// std::exp, which does not vectorise without -ffast-math, and are compiled a second and third time for AVX2
// and AVX-512 (target attributes) and chosen with active_isa(); the memory-bound rest stays portable.
#include <math.h>

#include <cstring>

#include "../core/cpu_features.h"
#include "../core/params.h"
#include "../core/parallel.h"
#include "kernels.h"

// GCC keeps -ftrapping-math by default and then refuses to if-convert selects such as leaky relu's; clang
// and emscripten default to no trapping math. Nothing in microrecon reads the floating-point exception flags.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

namespace mr::cpu {
namespace {

constexpr int64_t kGrain = 32768;

#if defined(__GNUC__) || defined(__clang__)
#define MR_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MR_ALWAYS_INLINE inline
#endif

MR_ALWAYS_INLINE float bits_to_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
MR_ALWAYS_INLINE uint32_t float_to_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// e^x for all floats: NaN stays NaN, x > 88.73 gives inf, x < -103.98 gives 0 (denormals in between). The
// power of two is applied in two halves so that 2^n for n in [-150, 128] never leaves the exponent range.
MR_ALWAYS_INLINE float exp_fast(float x) {
  x = x > 88.8f ? 88.8f : x;  // comparisons written so that NaN passes through
  x = x < -104.0f ? -104.0f : x;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits
  const float t = x * 1.44269504088896341f + magic;
  const float n = t - magic;
  const int32_t ni = static_cast<int32_t>(float_to_bits(t) - float_to_bits(magic));
  float r = x - n * 0.693359375f;    // Cody-Waite: ln2 = C1 + C2, C1 exact in 9 bits
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t h = ni >> 1;  // 2^n = 2^h * 2^(n-h)
  const float s1 = bits_to_float(static_cast<uint32_t>(h + 127) << 23);
  const float s2 = bits_to_float(static_cast<uint32_t>(ni - h + 127) << 23);
  return p * s1 * s2;
}

// Bit-level fabs/copysign: the <cmath> wrappers are not inlined under a different optimize pragma.
MR_ALWAYS_INLINE float abs_bits(float x) { return bits_to_float(float_to_bits(x) & 0x7fffffffu); }
MR_ALWAYS_INLINE float copysign_bits(float mag, float sign) {
  return bits_to_float((float_to_bits(mag) & 0x7fffffffu) | (float_to_bits(sign) & 0x80000000u));
}

MR_ALWAYS_INLINE float sigmoid_fast(float x) { return 1.0f / (1.0f + exp_fast(-x)); }

// tanh: odd polynomial (Cephes tanhf) for |x| < 0.625, where 1 - 2/(e^2x + 1) would cancel; that form elsewhere.
MR_ALWAYS_INLINE float tanh_fast(float x) {
  const float a = abs_bits(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = copysign_bits(1.0f - 2.0f / (exp_fast(2.0f * a) + 1.0f), x);
  return a < 0.625f ? small : big;
}

// The loops take f and the pointers by value: reached through the closure, f's captures (alpha) could alias
// the output as far as the compiler knows, and it would neither hoist nor vectorise.
template <typename F>
MR_ALWAYS_INLINE void loop1(int64_t n, const float* __restrict x, float* __restrict y, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}
template <typename F>
void loop3(int64_t n, const float* __restrict x, const float* __restrict y, const float* __restrict dy,
           float* __restrict dx, F f) {
  for (int64_t i = 0; i < n; ++i) dx[i] = f(x[i], y[i], dy[i]);
}

template <typename F>
void map1(int64_t n, const float* x, float* y, F f) {
  parallel_for(n, kGrain, [=](int64_t lo, int64_t hi) { loop1(hi - lo, x + lo, y + lo, f); });
}
template <typename F>
void map3(int64_t n, const float* x, const float* y, const float* dy, float* dx, F f) {
  parallel_for(n, kGrain, [=](int64_t lo, int64_t hi) { loop3(hi - lo, x + lo, y + lo, dy + lo, dx + lo, f); });
}

// exp, sigmoid and tanh loops for each instruction set: the always-inline loop and functions take the
// instruction set of the function they are inlined into.
enum class Fn { Exp, Sigmoid, Tanh };
template <Fn K>
MR_ALWAYS_INLINE float fn(float v) {
  return K == Fn::Exp ? exp_fast(v) : K == Fn::Sigmoid ? sigmoid_fast(v) : tanh_fast(v);
}
template <Fn K>
void fn_portable(int64_t n, const float* x, float* y) { loop1(n, x, y, fn<K>); }
#if defined(MR_X86) && (defined(__GNUC__) || defined(__clang__))
template <Fn K>
__attribute__((target("avx2,fma"))) void fn_avx2(int64_t n, const float* x, float* y) { loop1(n, x, y, fn<K>); }
template <Fn K>
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))) void fn_avx512(int64_t n, const float* x,
                                                                                     float* y) {
  loop1(n, x, y, fn<K>);
}
#endif
template <Fn K>
void fn_loop(int64_t n, const float* x, float* y) {
#if defined(MR_X86) && (defined(__GNUC__) || defined(__clang__))
  switch (active_isa()) {
    case Isa::Avx512: return fn_avx512<K>(n, x, y);
    case Isa::Avx2: return fn_avx2<K>(n, x, y);
    default: break;
  }
#endif
  fn_portable<K>(n, x, y);
}
template <Fn K>
void map_fn(int64_t n, const float* x, float* y) {
  parallel_for(n, kGrain, [=](int64_t lo, int64_t hi) { fn_loop<K>(hi - lo, x + lo, y + lo); });
}

Status check(const KernelArgs& a, const UnaryParams& p, const char* inputs[]) {
  if (p.n < 0) return InvalidArgument("unary: n is " + std::to_string(p.n));
  if (p.kind < 0 || p.kind >= kUnaryKindCount) return InvalidArgument("unary: unknown kind " + std::to_string(p.kind));
  for (int i = 0; i < a.n_in; ++i) MR_RETURN_IF_ERROR(expect_size(inputs[i], a.in_size[i], p.n));
  return expect_size(a.n_in == 1 ? "unary: y" : "unary: dx", a.out_size[0], p.n);
}

}  // namespace

// y[i] = e^x[i] with the vectorised exp above (also used by softmax.cpp, which declares it).
void exp_vec(int64_t n, const float* x, float* y) { fn_loop<Fn::Exp>(n, x, y); }

Status unary_forward(const KernelArgs& a) {
  const auto& p = params_of<UnaryParams>(a);
  const char* names[] = {"unary: x"};
  MR_RETURN_IF_ERROR(check(a, p, names));
  const float* x = a.in[0];
  float* y = a.out[0];
  const int64_t n = p.n;
  const float alpha = p.alpha, beta = p.beta;
  switch (p.kind) {
    case kRelu: map1(n, x, y, [](float v) { return v < 0.0f ? 0.0f : v; }); break;  // NaN propagates
    case kLeakyRelu: map1(n, x, y, [=](float v) { return v > 0.0f ? v : v * alpha; }); break;
    case kSigmoid: map_fn<Fn::Sigmoid>(n, x, y); break;
    case kTanh: map_fn<Fn::Tanh>(n, x, y); break;
    case kExp: map_fn<Fn::Exp>(n, x, y); break;
    case kLog: map1(n, x, y, [](float v) { return logf(v); }); break;
    case kAbs: map1(n, x, y, [](float v) { return abs_bits(v); }); break;
    case kSquare: map1(n, x, y, [](float v) { return v * v; }); break;
    case kSqrt: map1(n, x, y, [](float v) { return sqrtf(v); }); break;
    case kNeg: map1(n, x, y, [](float v) { return -v; }); break;
    case kAffine: map1(n, x, y, [=](float v) { return v * alpha + beta; }); break;
  }
  return Status::Ok();
}

Status unary_backward(const KernelArgs& a) {
  const auto& p = params_of<UnaryParams>(a);
  const char* names[] = {"unary_backward: x", "unary_backward: y", "unary_backward: dy"};
  MR_RETURN_IF_ERROR(check(a, p, names));
  const float *x = a.in[0], *y = a.in[1], *dy = a.in[2];
  float* dx = a.out[0];
  const int64_t n = p.n;
  const float alpha = p.alpha;
  switch (p.kind) {
    case kRelu: map3(n, x, y, dy, dx, [](float v, float, float g) { return v <= 0.0f ? 0.0f : g; }); break;
    case kLeakyRelu:
      map3(n, x, y, dy, dx, [=](float v, float, float g) { return v > 0.0f ? g : g * alpha; });
      break;
    case kSigmoid: map3(n, x, y, dy, dx, [](float, float o, float g) { return g * (1.0f - o) * o; }); break;
    case kTanh:  // (1 - y)(1 + y): 1 - y is exact near |y| = 1, where 1 - y * y loses digits
      map3(n, x, y, dy, dx, [](float, float o, float g) { return g * ((1.0f - o) * (1.0f + o)); });
      break;
    case kExp: map3(n, x, y, dy, dx, [](float, float o, float g) { return g * o; }); break;
    case kLog: map3(n, x, y, dy, dx, [](float v, float, float g) { return g / v; }); break;
    case kAbs:
      map3(n, x, y, dy, dx, [](float v, float, float g) { return v > 0.0f ? g : (v < 0.0f ? -g : 0.0f * g); });
      break;
    case kSquare: map3(n, x, y, dy, dx, [](float v, float, float g) { return g * 2.0f * v; }); break;
    case kSqrt: map3(n, x, y, dy, dx, [](float, float o, float g) { return g / (2.0f * o); }); break;
    case kNeg: map3(n, x, y, dy, dx, [](float, float, float g) { return -g; }); break;
    case kAffine: map3(n, x, y, dy, dx, [=](float, float, float g) { return g * alpha; }); break;
  }
  return Status::Ok();
}

}  // namespace mr::cpu
