// AVX-512 micro-kernel of gemm.cpp: a 12 x 32 tile of C in 24 zmm accumulators; per k one 32-wide row of the
// packed B panel (2 loads) and 12 broadcasts of the packed A panel. Compiled with AVX-512 flags (CMake) and
// called only when active_isa() is Avx512. Includes nothing but intrinsics, so that no inline function of a
// shared header is emitted here with AVX-512 instructions (the linker could pick it for portable callers).
#include <immintrin.h>

#include <cstdint>

namespace mr::cpu {

void gemm_micro_12x32_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  __m512 acc[12][2];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) acc[i][0] = _mm512_setzero_ps(), acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += 12, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) {
    float* row = c + i * ldc;
    _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), acc[i][0]));
    _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_loadu_ps(row + 16), acc[i][1]));
  }
}

}  // namespace mr::cpu
