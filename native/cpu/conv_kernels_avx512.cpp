// AVX-512 instance of the conv micro-kernels (compiled with -mavx512f/vl/bw/dq -mfma; used only when the CPU
// has them, see conv_engine.cpp). Forward: 8 output channels x 3 vectors of 16 outputs = 24 accumulators.
// Backward weight: 4 channel vectors (64 channels) x 6 (ci, tap) pairs.
#include <immintrin.h>

#include "conv_microkernels.h"

namespace mr::cpu::conv {
namespace {

struct V512 {
  using R = __m512;
  static constexpr int kRegs = 31;  // vector registers for accumulators and operands
  static constexpr int W = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R loadu(const float* p) { return _mm512_loadu_ps(p); }
  static R load(const float* p) { return _mm512_load_ps(p); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static void store_slot(float* p, R v, uint32_t mask, int64_t ls) {
    if (ls == 1) {
      if (mask == 0xFFFFu) _mm512_storeu_ps(p, v);
      else if ((mask & (mask + 1)) == 0) _mm512_mask_storeu_ps(p, static_cast<__mmask16>(mask), v);
      else _mm512_mask_compressstoreu_ps(p, static_cast<__mmask16>(mask), v);
    } else {
      const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(static_cast<int>(ls)));
      _mm512_mask_i32scatter_ps(p, static_cast<__mmask16>(mask), idx, v, 4);
    }
  }
  static void add_to(float* p, R v) { _mm512_store_ps(p, _mm512_add_ps(_mm512_load_ps(p), v)); }
  static R loadu_n(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p); }
  static float hsum(R v) {  // through memory: GCC 12's reduce / shuffle intrinsics trip -Wuninitialized
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    for (int w = 8; w >= 1; w /= 2)
      for (int l = 0; l < w; ++l) t[l] += t[l + w];
    return t[0];
  }
};

const IsaKernels kAvx512 = {"avx512", 16, 8, 4, fwd_plane<V512, 8, 3>, bw_plane<V512, 4, 6>, bw_plane_pos<V512>};

}  // namespace

const IsaKernels& kernels_avx512() { return kAvx512; }

}  // namespace mr::cpu::conv
