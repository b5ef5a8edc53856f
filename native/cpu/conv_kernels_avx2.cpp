// AVX2 + FMA instance of the conv micro-kernels (16 ymm registers): forward 4 output channels x 3 vectors of
// 8 outputs; backward weight 2 channel vectors x 6 (ci, tap) pairs.
#include <immintrin.h>

#include "conv_microkernels.h"

namespace mr::cpu::conv {
namespace {

struct V256 {
  using R = __m256;
  static constexpr int kRegs = 15;  // vector registers for accumulators and operands
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R loadu(const float* p) { return _mm256_loadu_ps(p); }
  static R load(const float* p) { return _mm256_load_ps(p); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static void store_slot(float* p, R v, uint32_t mask, int64_t ls) {
    if (ls == 1 && mask == 0xFFu) {
      _mm256_storeu_ps(p, v);
      return;
    }
    if (ls == 1 && (mask & (mask + 1)) == 0) {
      const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      const int n = __builtin_popcount(mask);
      _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes), v);
      return;
    }
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    int k = 0;
    for (int l = 0; l < 8; ++l)
      if (mask >> l & 1) p[(k++) * ls] = t[l];
  }
  static void add_to(float* p, R v) { _mm256_store_ps(p, _mm256_add_ps(_mm256_load_ps(p), v)); }
  static R loadu_n(const float* p, int n) {
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  static float hsum(R v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
  }
};

const IsaKernels kAvx2 = {"avx2", 8, 4, 2, fwd_plane<V256, 4, 3>, bw_plane<V256, 2, 6>, bw_plane_pos<V256>};

}  // namespace

const IsaKernels& kernels_avx2() { return kAvx2; }

}  // namespace mr::cpu::conv
