// AVX2+FMA micro-kernel of gemm.cpp: a 6 x 16 tile of C in 12 ymm accumulators (of 16 registers); per k one
// 16-wide row of the packed B panel (2 loads) and 6 broadcasts of the packed A panel. Compiled with AVX2 flags
// (CMake) and called only when active_isa() is Avx2. Includes nothing but intrinsics (see gemm_avx512.cpp).
#include <immintrin.h>

#include <cstdint>

namespace mr::cpu {

void gemm_micro_6x16_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  __m256 acc[6][2];
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) acc[i][0] = _mm256_setzero_ps(), acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += 6, b += 16) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {
    float* row = c + i * ldc;
    _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc[i][0]));
    _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc[i][1]));
  }
}

}  // namespace mr::cpu
