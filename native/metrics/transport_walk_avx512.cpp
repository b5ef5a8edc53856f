// AVX-512 fine-grid kernels (see transport_walk.h). Compiled with -mavx512f/vl/bw/dq (CMake: *_avx512.cpp).
// GCC 12 warns that the undefined pass-through operand of some AVX-512 intrinsics "may be used uninitialized".
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "metrics/transport_walk.h"

namespace mr {
namespace transport {
namespace avx512 {

namespace {

inline __mmask16 row_mask(const uint8_t* p, __mmask16 tail) {
  const __m128i v = _mm_maskz_loadu_epi8(tail, p);
  return _mm_test_epi8_mask(v, v);
}

inline int pop(__mmask16 k) { return __builtin_popcount(static_cast<unsigned>(k)); }

// Spreads the next popcount(k) values of a compact float vector into the lanes set in k.
inline __m512 spread(__mmask16 k, const float* v, int64_t& p) {
  const __m512 r = _mm512_maskz_expandloadu_ps(k, v + p);
  p += pop(k);
  return r;
}

// The same for a float64 vector, converted to float32 lanes.
inline __m512 spread_pd(__mmask16 k, const double* v, int64_t p) {
  const __mmask8 lo = static_cast<__mmask8>(k & 0xff), hi = static_cast<__mmask8>(k >> 8);
  const __m512d a = _mm512_maskz_expandloadu_pd(lo, v + p);
  const __m512d b = _mm512_maskz_expandloadu_pd(hi, v + p + pop(lo));
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(a)), _mm512_cvtpd_ps(b), 1);
}

struct Chunk {
  int64_t x0;        // first voxel of the chunk
  __mmask16 kc;      // conducting voxels
  int64_t pc;        // compact index of the chunk's first conducting voxel
  __m512 vc;         // own values (0 where not conducting)
  __m512 nb[6];      // neighbour values (0 where the neighbour does not conduct): left, right, y-, y+, z-, z+
  __m512 dg;         // diagonal (number of conducting neighbours + Dirichlet)
};

// Walks row r of the fine grid in chunks of 16 voxels; f(const Chunk&) for every chunk with a conducting voxel.
template <typename F>
inline void walk16(const FineGrid& g, int64_t r, const float* v, F&& f) {
  const int64_t n1 = g.n1, n2 = g.n2, plane = n1 * n2;
  const int64_t a = r / n1, b = r % n1;
  const uint8_t* zero = g.zero.data();
  const uint8_t* mc = g.m + r * n2;
  const bool has_ym = b > 0, has_yp = b + 1 < n1, has_zm = a > 0, has_zp = a + 1 < g.n0;
  const uint8_t* ym = has_ym ? mc - n2 : zero;
  const uint8_t* yp = has_yp ? mc + n2 : zero;
  const uint8_t* zm = has_zm ? mc - plane : zero;
  const uint8_t* zp = has_zp ? mc + plane : zero;
  int64_t pym = has_ym ? g.rs[r - 1] : 0, pyp = has_yp ? g.rs[r + 1] : 0;
  int64_t pzm = has_zm ? g.rs[r - n1] : 0, pzp = has_zp ? g.rs[r + n1] : 0;
  const float dir = (a == 0 ? 2.0f : 0.0f) + (a == g.n0 - 1 ? 2.0f : 0.0f);
  const __m512 one = _mm512_set1_ps(1.0f), vdir = _mm512_set1_ps(dir);
  const int64_t nchunks = (n2 + 15) / 16;
  auto tail = [&](int64_t x0) -> __mmask16 {
    const int64_t left = n2 - x0;
    return left >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << left) - 1);
  };
  int64_t pnext = g.rs[r];
  __mmask16 kn = row_mask(mc, tail(0));
  int64_t pn = pnext;
  __m512 vn = spread(kn, v, pnext);
  __m512 prev = _mm512_setzero_ps();
  __mmask16 kprev = 0;
  for (int64_t c = 0; c < nchunks; ++c) {
    Chunk ch;
    ch.x0 = c * 16;
    ch.kc = kn;
    ch.pc = pn;
    ch.vc = vn;
    if (c + 1 < nchunks) {
      kn = row_mask(mc + ch.x0 + 16, tail(ch.x0 + 16));
      pn = pnext;
      vn = spread(kn, v, pnext);
    } else {
      kn = 0;
      vn = _mm512_setzero_ps();
    }
    const __mmask16 tm = tail(ch.x0);
    const __mmask16 kym = row_mask(ym + ch.x0, tm), kyp = row_mask(yp + ch.x0, tm);
    const __mmask16 kzm = row_mask(zm + ch.x0, tm), kzp = row_mask(zp + ch.x0, tm);
    if (ch.kc) {
      const __mmask16 kl = static_cast<__mmask16>((ch.kc << 1) | (kprev >> 15));
      const __mmask16 kr = static_cast<__mmask16>((ch.kc >> 1) | (kn << 15));
      ch.nb[0] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(ch.vc), _mm512_castps_si512(prev), 15));
      ch.nb[1] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(vn), _mm512_castps_si512(ch.vc), 1));
      ch.nb[2] = spread(kym, v, pym);
      ch.nb[3] = spread(kyp, v, pyp);
      ch.nb[4] = spread(kzm, v, pzm);
      ch.nb[5] = spread(kzp, v, pzp);
      __m512 d = vdir;
      d = _mm512_mask_add_ps(d, kl, d, one);
      d = _mm512_mask_add_ps(d, kr, d, one);
      d = _mm512_mask_add_ps(d, kym, d, one);
      d = _mm512_mask_add_ps(d, kyp, d, one);
      d = _mm512_mask_add_ps(d, kzm, d, one);
      d = _mm512_mask_add_ps(d, kzp, d, one);
      ch.dg = d;
      f(ch);
    } else {
      pym += pop(kym);
      pyp += pop(kyp);
      pzm += pop(kzm);
      pzp += pop(kzp);
    }
    prev = ch.vc;
    kprev = ch.kc;
  }
}

inline __m512 neighbour_sum(const Chunk& ch) {
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(ch.nb[0], ch.nb[1]), _mm512_add_ps(ch.nb[2], ch.nb[3])),
                       _mm512_add_ps(ch.nb[4], ch.nb[5]));
}

inline __m512d lo_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d hi_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }

}  // namespace

double matvec_rows(const FineGrid& g, int64_t r0, int64_t r1, const float* p, double* q) {
  __m512d acc = _mm512_setzero_pd();
  for (int64_t r = r0; r < r1; ++r) {
    if (g.rs[r + 1] == g.rs[r]) continue;
    walk16(g, r, p, [&](const Chunk& ch) {
      // In float64: q = A p is small where p is smooth, so its float32 rounding would show in the residual.
      for (int h = 0; h < 2; ++h) {
        auto part = [&](__m512 x) { return h == 0 ? lo_pd(x) : hi_pd(x); };
        const __mmask8 k = static_cast<__mmask8>(h == 0 ? (ch.kc & 0xff) : (ch.kc >> 8));
        if (!k) continue;
        __m512d s = _mm512_add_pd(_mm512_add_pd(part(ch.nb[0]), part(ch.nb[1])),
                                  _mm512_add_pd(part(ch.nb[2]), part(ch.nb[3])));
        s = _mm512_add_pd(s, _mm512_add_pd(part(ch.nb[4]), part(ch.nb[5])));
        const __m512d pv = part(ch.vc);
        const __m512d qv = _mm512_fmsub_pd(part(ch.dg), pv, s);
        const int64_t at = ch.pc + (h == 0 ? 0 : pop(static_cast<__mmask16>(ch.kc & 0xff)));
        _mm512_mask_compressstoreu_pd(q + at, k, qv);
        acc = _mm512_mask3_fmadd_pd(pv, qv, acc, k);
      }
    });
  }
  return _mm512_reduce_add_pd(acc);
}

void sweep_rows(const FineGrid& g, int64_t r0, int64_t r1, const double* rhs, float* z, int color) {
  for (int64_t r = r0; r < r1; ++r) {
    if (g.rs[r + 1] == g.rs[r]) continue;
    const int64_t par = (r / g.n1 + r % g.n1 + color) & 1;
    // lanes with (x + par) even; chunks start at even x
    const __mmask16 colour = par == 0 ? __mmask16(0x5555) : __mmask16(0xaaaa);
    walk16(g, r, z, [&](const Chunk& ch) {
      const __mmask16 upd = ch.kc & colour;
      if (!upd) return;
      const __m512 b = spread_pd(ch.kc, rhs, ch.pc);
      const __m512 nz = _mm512_maskz_div_ps(upd, _mm512_add_ps(b, neighbour_sum(ch)), ch.dg);
      _mm512_mask_compressstoreu_ps(z + ch.pc, ch.kc, _mm512_mask_mov_ps(ch.vc, upd, nz));
    });
  }
}

void restrict_row(const FineGrid& g, int64_t r, const double* rhs, const float* z, float* cb) {
  if (g.rs[r + 1] == g.rs[r]) return;
  const int64_t c2 = (g.n2 + 1) / 2;
  const __m512i pairs = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
  walk16(g, r, z, [&](const Chunk& ch) {
    const __m512 b = spread_pd(ch.kc, rhs, ch.pc);
    const __m512 t = _mm512_maskz_sub_ps(ch.kc, b, _mm512_fmsub_ps(ch.dg, ch.vc, neighbour_sum(ch)));
    const __m512 sum2 = _mm512_add_ps(t, _mm512_permute_ps(t, 0xB1));  // lanes 2i, 2i+1 hold t[2i] + t[2i+1]
    const __m256 s8 = _mm512_castps512_ps256(_mm512_permutexvar_ps(pairs, sum2));
    const int64_t X = ch.x0 / 2;
    const int64_t left = c2 - X;
    const __mmask8 km = left >= 8 ? __mmask8(0xff) : static_cast<__mmask8>((1u << left) - 1);
    _mm256_mask_storeu_ps(cb + X, km, _mm256_add_ps(_mm256_maskz_loadu_ps(km, cb + X), s8));
  });
}

void prolong_rows(const FineGrid& g, int64_t r0, int64_t r1, const CoarseLevel& c, float alpha, float* z) {
  const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512 va = _mm512_set1_ps(alpha);
  const int64_t n2 = g.n2;
  for (int64_t r = r0; r < r1; ++r) {
    if (g.rs[r + 1] == g.rs[r]) continue;
    const int64_t a = r / g.n1, b = r % g.n1;
    const float* cx = c.x.data() + ((a >> 1) * c.n1 + (b >> 1)) * c.n2;
    const uint8_t* mc = g.m + r * n2;
    int64_t p = g.rs[r];
    for (int64_t x0 = 0; x0 < n2; x0 += 16) {
      const int64_t left = n2 - x0;
      const __mmask16 tm = left >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << left) - 1);
      const __mmask16 k = row_mask(mc + x0, tm);
      if (!k) continue;
      const int64_t cl = c.n2 - x0 / 2;
      const __mmask8 km = cl >= 8 ? __mmask8(0xff) : static_cast<__mmask8>((1u << cl) - 1);
      const __m512 e = _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(km, cx + x0 / 2)));
      const __m512 v = _mm512_maskz_expandloadu_ps(k, z + p);
      _mm512_mask_compressstoreu_ps(z + p, k, _mm512_fmadd_ps(va, e, v));
      p += pop(k);
    }
  }
}

}  // namespace avx512
}  // namespace transport
}  // namespace mr
