// Portable instance of the conv micro-kernels: GCC/Clang vector extensions (4 lanes: SSE2 on any x86-64,
// NEON on arm64, SIMD128 in the wasm build); no intrinsics. Forward 6 output channels x 2 vectors (4 x 3 in wasm);
// backward weight 2 channel vectors x 5 (ci, tap) pairs (16 vector registers).
#include <cstring>

#include "conv_microkernels.h"

namespace mr::cpu::conv {
namespace {

typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4), may_alias));

struct VP {
  using R = v4;
  static constexpr int kRegs = 14;  // vector registers for accumulators and operands
  static constexpr int W = 4;
  static R zero() { return R{0.f, 0.f, 0.f, 0.f}; }
  static R set1(float x) { return R{x, x, x, x}; }
  static R loadu(const float* p) { return *reinterpret_cast<const v4u*>(p); }
  static R load(const float* p) { return *reinterpret_cast<const R*>(p); }
  static R fma(R a, R b, R c) { return a * b + c; }
  static void store_slot(float* p, R v, uint32_t mask, int64_t ls) {
    if (ls == 1 && mask == 0xFu) {
      *reinterpret_cast<v4u*>(p) = v;
      return;
    }
    int k = 0;
    for (int l = 0; l < 4; ++l)
      if (mask >> l & 1) p[(k++) * ls] = v[l];
  }
  static void add_to(float* p, R v) { *reinterpret_cast<R*>(p) += v; }
  static R loadu_n(const float* p, int n) {
    R v = zero();
    for (int l = 0; l < n; ++l) v[l] = p[l];
    return v;
  }
  static float hsum(R v) { return (v[0] + v[1]) + (v[2] + v[3]); }
};

#if defined(__wasm_simd128__)
// V8 maps SIMD128 onto 16 xmm registers and has no FMA: 4 x 3 (one step in flight, see MR_UNROLL_STEPS)
// measured 25 % faster than 6 x 2 there.
const IsaKernels kPortable = {"portable", 4, 4, 2, fwd_plane<VP, 4, 3>, bw_plane<VP, 2, 5>, bw_plane_pos<VP>};
#else
const IsaKernels kPortable = {"portable", 4, 6, 2, fwd_plane<VP, 6, 2>, bw_plane<VP, 2, 5>, bw_plane_pos<VP>};
#endif

}  // namespace

const IsaKernels& kernels_portable() { return kPortable; }

}  // namespace mr::cpu::conv
