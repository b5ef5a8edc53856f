// The conv micro-kernels, written once over a vector type V and compiled once per instruction set
// (conv_kernels_portable.cpp, conv_kernels_avx2.cpp, conv_kernels_avx512.cpp). V provides:
//   using R;  static constexpr int W;  zero(); set1(float); loadu(const float*); load(const float*) (aligned);
//   fma(a, b, c) = a * b + c;  store_slot(float* p, R v, uint32_t mask, int64_t lane_stride);
//   add_to(float* p, R v) (p[0..W) += v, p aligned to W floats).
// Everything here has internal linkage, so the per-ISA copies never meet at link time. No std containers.
#pragma once
#include <cstdint>

#include "conv_engine.h"

#define MR_UNROLL _Pragma("GCC unroll 32")

namespace mr::cpu::conv {
namespace {

// ---- forward / backward data ------------------------------------------------------------------------------

// MR output channels x NR slots. Weights for this block: wblk[tap][ci][MR].
template <class V, int MR, int NR>
inline void fwd_block(const FwdPlaneArgs& a, const float* wblk, int co, const Slot* s) {
  using R = typename V::R;
  R acc[MR][NR];
  MR_UNROLL for (int i = 0; i < MR; ++i) {
    const R b = a.bias ? V::set1(a.bias[co + i]) : V::zero();
    MR_UNROLL for (int j = 0; j < NR; ++j) acc[i][j] = b;
  }
  int64_t q[NR];
  MR_UNROLL for (int j = 0; j < NR; ++j) q[j] = s[j].q;
  const int cin = a.cin;
  const int64_t cs = a.cs;
  for (int t = 0; t < a.ntaps; ++t) {
    const float* p = a.tile + a.tapoff[t];
    const float* wp = wblk + int64_t(a.tapidx[t]) * cin * MR;
    for (int c = 0; c < cin; ++c) {
      R v[NR];
      MR_UNROLL for (int j = 0; j < NR; ++j) v[j] = V::loadu(p + q[j]);
      MR_UNROLL for (int i = 0; i < MR; ++i) {
        const R b = V::set1(wp[i]);
        MR_UNROLL for (int j = 0; j < NR; ++j) acc[i][j] = V::fma(b, v[j], acc[i][j]);
      }
      p += cs;
      wp += MR;
    }
  }
  MR_UNROLL for (int i = 0; i < MR; ++i) {
    float* o = a.out + int64_t(co + i) * a.out_cs;
    MR_UNROLL for (int j = 0; j < NR; ++j) V::store_slot(o + s[j].off, acc[i][j], s[j].mask, a.lane_stride);
  }
}

template <class V, int MR, int NRMAX>
inline void fwd_rows(const FwdPlaneArgs& a, const float* wblk, int co) {
  int j = 0;
  for (; j + NRMAX <= a.nslots; j += NRMAX) fwd_block<V, MR, NRMAX>(a, wblk, co, a.slots + j);
  const int rest = a.nslots - j;
  if constexpr (NRMAX > 1) {
    if (rest >= NRMAX - 1 && NRMAX - 1 >= 1) {
      fwd_block<V, MR, (NRMAX > 1 ? NRMAX - 1 : 1)>(a, wblk, co, a.slots + j);
      j += NRMAX - 1;
    }
  }
  for (; j < a.nslots; ++j) fwd_block<V, MR, 1>(a, wblk, co, a.slots + j);
}

template <class V, int MR, int NR>
void fwd_plane(const FwdPlaneArgs& a) {
  for (int co = a.co0; co < a.co1; co += MR) {
    const int mr = a.cout - co < MR ? a.cout - co : MR;
    const float* wblk = a.wpk + int64_t(co) * a.wtaps * a.cin;  // blocks before are full (MR wide)
    const int stop = a.co1 - co < mr ? a.co1 - co : mr;
    // Channel blocks are packed MR wide except the group's last one; `stop` only differs for a split range.
    switch (stop) {
#define MR_CASE(m) \
  case m:          \
    if constexpr (m <= MR) fwd_rows<V, (m <= MR ? m : 1), NR>(a, wblk, co); \
    break;
      MR_CASE(1) MR_CASE(2) MR_CASE(3) MR_CASE(4) MR_CASE(5) MR_CASE(6) MR_CASE(7) MR_CASE(8)
      MR_CASE(9) MR_CASE(10) MR_CASE(11) MR_CASE(12)
#undef MR_CASE
      default: break;
    }
  }
}

// ---- backward weight --------------------------------------------------------------------------------------

// MV channel vectors x NR (ci, tap) pairs over the positions of rows [r0, r1).
template <class V, int MV, int NR>
inline void bw_block(const BwPlaneArgs& a, int cv, const int64_t* off, const int64_t* dst, int r0, int r1) {
  using R = typename V::R;
  constexpr int W = V::W;
  R acc[NR][MV];
  MR_UNROLL for (int j = 0; j < NR; ++j) MR_UNROLL for (int i = 0; i < MV; ++i) acc[j][i] = V::zero();
  const float* base[NR];
  MR_UNROLL for (int j = 0; j < NR; ++j) base[j] = a.tile + off[j];
  const int width = a.width;
  const int64_t cop = a.cop;
  for (int r = r0; r < r1; ++r) {
    const int64_t qr = int64_t(r) * a.pitch;
    const float* d = a.dyt + int64_t(r) * width * cop + int64_t(cv) * W;
    for (int c = 0; c < width; ++c) {
      R dv[MV];
      MR_UNROLL for (int i = 0; i < MV; ++i) dv[i] = V::load(d + i * W);
      MR_UNROLL for (int j = 0; j < NR; ++j) {
        const R b = V::set1(base[j][qr + c]);
        MR_UNROLL for (int i = 0; i < MV; ++i) acc[j][i] = V::fma(b, dv[i], acc[j][i]);
      }
      d += cop;
    }
  }
  MR_UNROLL for (int j = 0; j < NR; ++j) {
    float* p = a.part + dst[j] + int64_t(cv) * W;
    MR_UNROLL for (int i = 0; i < MV; ++i) V::add_to(p + i * W, acc[j][i]);
  }
}

template <class V, int MV, int NR>
inline void bw_pairs(const BwPlaneArgs& a, int cv, int r0, int r1) {
  int j = 0;
  for (; j + NR <= a.npairs; j += NR) bw_block<V, MV, NR>(a, cv, a.pairoff + j, a.pairdst + j, r0, r1);
  for (; j + 4 <= a.npairs; j += 4) bw_block<V, MV, 4>(a, cv, a.pairoff + j, a.pairdst + j, r0, r1);
  for (; j < a.npairs; ++j) bw_block<V, MV, 1>(a, cv, a.pairoff + j, a.pairdst + j, r0, r1);
}

template <class V, int MV, int NR>
void bw_plane(const BwPlaneArgs& a) {
  // Rows in chunks whose dy slice stays in L1 while every pair block streams over it.
  const int64_t per_row = int64_t(a.width) * MV * V::W * 4;
  int chunk = static_cast<int>(16384 / (per_row > 0 ? per_row : 1));
  if (chunk < 1) chunk = 1;
  for (int r0 = 0; r0 < a.rows; r0 += chunk) {
    const int r1 = r0 + chunk < a.rows ? r0 + chunk : a.rows;
    for (int cv = a.cv0; cv < a.cv1; cv += MV) {
      const int mv = a.cv1 - cv < MV ? a.cv1 - cv : MV;
      if (mv == MV) bw_pairs<V, MV, NR>(a, cv, r0, r1);
      else if constexpr (MV > 1) {
        for (int k = 0; k < mv; ++k) bw_pairs<V, 1, (NR * MV > 24 ? 24 : NR * MV)>(a, cv + k, r0, r1);
      }
    }
  }
}

}  // namespace
}  // namespace mr::cpu::conv
