// The conv micro-kernels, written once over a vector type V and compiled once per instruction set
// (conv_kernels_portable.cpp, conv_kernels_avx2.cpp, conv_kernels_avx512.cpp). V provides:
//   using R;  static constexpr int W;  zero(); set1(float); loadu(const float*); load(const float*) (aligned);
//   fma(a, b, c) = a * b + c;  store_slot(float* p, R v, uint32_t mask, int64_t lane_stride);
//   add_to(float* p, R v) (p[0..W) += v, p aligned to W floats); loadu_n(p, n) (lanes >= n are 0, nothing
//   read there); hsum(R) (sum of the lanes); kRegs (vector registers for accumulators and operands).
// Everything here has internal linkage, so the per-ISA copies never meet at link time. No std containers.
#pragma once
#include <cstdint>

#include "conv_engine.h"

#define MR_UNROLL _Pragma("GCC unroll 32")
// Forward steps in flight: natively 2 is measurably better than 1 (4: worse); under V8 (SIMD128 on 16 xmm
// registers) a second step spills, and 1 is 20-40 % faster.
#if defined(__wasm__)
#define MR_UNROLL_STEPS _Pragma("GCC unroll 1")
#else
#define MR_UNROLL_STEPS _Pragma("GCC unroll 2")
#endif

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
  const float* base[NR];
  MR_UNROLL for (int j = 0; j < NR; ++j) base[j] = a.tile + s[j].q;
  // One flat loop over (tap, ci) steps: tile offsets from a table, weights consecutive within a segment.
  for (int sg = 0; sg < a.nsegs; ++sg) {
    const Seg seg = a.segs[sg];
    const float* wp = wblk + seg.w0 * MR;
    const int32_t* ko = a.koff + seg.k0;
    MR_UNROLL_STEPS for (int k = seg.k0; k < seg.k1; ++k) {
      const int64_t o = *ko++;
      R v[NR];
      MR_UNROLL for (int j = 0; j < NR; ++j) v[j] = V::loadu(base[j] + o);
      MR_UNROLL for (int i = 0; i < MR; ++i) {
        const R b = V::set1(wp[i]);
        MR_UNROLL for (int j = 0; j < NR; ++j) acc[i][j] = V::fma(b, v[j], acc[i][j]);
      }
      wp += MR;
    }
  }
  MR_UNROLL for (int i = 0; i < MR; ++i) {
    float* o = a.out + int64_t(co + i) * a.out_cs;
    MR_UNROLL for (int j = 0; j < NR; ++j) V::store_slot(o + s[j].off, acc[i][j], s[j].mask, a.lane_stride);
  }
}

// Spreads prefetches (into L2) of the next tile fill's input over the micro-kernel calls of a plane.
struct Prefetcher {
  const float* base;
  int64_t cstride, floats, chans, per_call, next = 0, total;
  template <class A>
  Prefetcher(const A& a, int64_t calls) : base(a.pf), cstride(a.pf_cstride), floats(a.pf_floats), chans(a.pf_chans) {
    const int64_t lines_per_chan = (floats + 15) / 16;
    total = chans > 0 ? chans * lines_per_chan : 0;
    per_call = calls > 0 ? (total + calls - 1) / calls : total;
  }
  void step() {
    if (next >= total) return;
    const int64_t lines_per_chan = (floats + 15) / 16;
    for (int64_t k = 0; k < per_call && next < total; ++k, ++next) {
      const int64_t c = next / lines_per_chan, l = next % lines_per_chan;
      __builtin_prefetch(base + c * cstride + l * 16, 0, 2);
    }
  }
};

template <class V, int MR, int NRMAX>
inline void fwd_rows(const FwdPlaneArgs& a, const float* wblk, int co, Prefetcher& pf) {
  // Blocks of NRMAX slots; a remainder of 1 becomes two blocks of NRMAX - 1 ... rather than a 1-slot block.
  int j = 0;
  const int n = a.nslots;
  while (n - j > 0) {
    const int rest = n - j;
    pf.step();
    // The outputs of the next block: request the lines for writing now (their misses overlap the FMAs).
    for (int k = j + NRMAX; k < j + 2 * NRMAX && k < n; ++k)
      MR_UNROLL for (int i = 0; i < MR; ++i)
        __builtin_prefetch(a.out + int64_t(co + i) * a.out_cs + a.slots[k].off, 1, 3);
    if (rest >= NRMAX && (rest != NRMAX + 1 || NRMAX < 3)) {
      fwd_block<V, MR, NRMAX>(a, wblk, co, a.slots + j);
      j += NRMAX;
    } else if constexpr (NRMAX >= 3) {
      if (rest >= NRMAX - 1) {
        fwd_block<V, MR, NRMAX - 1>(a, wblk, co, a.slots + j);
        j += NRMAX - 1;
      } else if (rest >= 2) {
        fwd_block<V, MR, 2>(a, wblk, co, a.slots + j);
        j += 2;
      } else {
        fwd_block<V, MR, 1>(a, wblk, co, a.slots + j);
        j += 1;
      }
    } else {
      fwd_block<V, MR, 1>(a, wblk, co, a.slots + j);
      j += 1;
    }
  }
}

// Slots per block for a block of m channels: narrow blocks (the last of a group, Cout = 1 heads, depthwise)
// take more slots so the loads still feed enough FMAs. V::kRegs vector registers hold the accumulators,
// the NR input vectors and the broadcast weight.
template <class V>
constexpr int nr_for(int m, int nr) {
  const int fit = (V::kRegs - 1) / (m + 1);
  const int want = fit > 8 ? 8 : fit;
  return want > nr ? want : nr;
}

template <class V, int MR, int NR>
void fwd_plane(const FwdPlaneArgs& a) {
  Prefetcher pf(a, int64_t((a.co1 - a.co0 + MR - 1) / MR) * ((a.nslots + NR - 1) / NR));
  for (int co = a.co0; co < a.co1; co += MR) {
    const int mr = a.cout - co < MR ? a.cout - co : MR;
    const float* wblk = a.wpk + int64_t(co) * a.wtaps * a.cin;  // blocks before are full (MR wide)
    const int stop = a.co1 - co < mr ? a.co1 - co : mr;
    // Channel blocks are packed MR wide except the group's last one; `stop` only differs for a split range.
    switch (stop) {
#define MR_CASE(m) \
  case m:          \
    if constexpr (m <= MR) fwd_rows<V, (m <= MR ? m : 1), nr_for<V>(m, NR)>(a, wblk, co, pf); \
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
    const int64_t qr = int64_t(r / a.plane_rows) * a.plane_stride + int64_t(r % a.plane_rows) * a.pitch;
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
inline void bw_pairs(const BwPlaneArgs& a, int cv, int r0, int r1, Prefetcher& pf) {
  int j = 0;
  for (; j + NR <= a.npairs; j += NR) {
    pf.step();
    bw_block<V, MV, NR>(a, cv, a.pairoff + j, a.pairdst + j, r0, r1);
  }
  for (; j + 4 <= a.npairs; j += 4) bw_block<V, MV, 4>(a, cv, a.pairoff + j, a.pairdst + j, r0, r1);
  for (; j < a.npairs; ++j) bw_block<V, MV, 1>(a, cv, a.pairoff + j, a.pairdst + j, r0, r1);
}

template <class V, int MV, int NR>
void bw_plane(const BwPlaneArgs& a) {
  // Rows in chunks whose dy slice stays in L1 while every pair block streams over it.
  const int64_t per_row = int64_t(a.width) * MV * V::W * 4;
  int chunk = static_cast<int>(32768 / (per_row > 0 ? per_row : 1));
  if (chunk < 1) chunk = 1;
  const int64_t calls = int64_t((a.rows + chunk - 1) / chunk) * ((a.cv1 - a.cv0 + MV - 1) / MV) * ((a.npairs + NR - 1) / NR);
  Prefetcher pf(a, calls);
  for (int r0 = 0; r0 < a.rows; r0 += chunk) {
    const int r1 = r0 + chunk < a.rows ? r0 + chunk : a.rows;
    for (int cv = a.cv0; cv < a.cv1; cv += MV) {
      const int mv = a.cv1 - cv < MV ? a.cv1 - cv : MV;
      if (mv == MV) bw_pairs<V, MV, NR>(a, cv, r0, r1, pf);
      else if constexpr (MV > 1) {
        for (int k = 0; k < mv; ++k) bw_pairs<V, 1, (NR * MV > 24 ? 24 : NR * MV)>(a, cv + k, r0, r1, pf);
      }
    }
  }
}

// Position-vector mode: MR output channels x NR (ci, tap) pairs, vectors along output rows, horizontal sums
// at the end (for groups with few output channels, where channel vectors would be mostly empty).
template <class V, int MR, int NR>
inline void bw_pos_block(const BwPlaneArgs& a, int co, const int64_t* off, const int64_t* dst) {
  using R = typename V::R;
  constexpr int W = V::W;
  R acc[MR][NR];
  MR_UNROLL for (int i = 0; i < MR; ++i) MR_UNROLL for (int j = 0; j < NR; ++j) acc[i][j] = V::zero();
  const float* base[NR];
  MR_UNROLL for (int j = 0; j < NR; ++j) base[j] = a.tile + off[j];
  const float* dyc = a.dy + int64_t(co - a.co0) * a.dy_cs;
  const int width = a.width, full = width - width % W;
  for (int r = 0; r < a.rows; ++r) {
    const int pl = r / a.plane_rows, rr = r % a.plane_rows;
    const int64_t qr = int64_t(pl) * a.plane_stride + int64_t(rr) * a.pitch;
    const float* d = dyc + int64_t(pl) * a.dy_ps + int64_t(rr) * width;
    int c = 0;
    for (; c < full; c += W) {
      R dv[MR];
      MR_UNROLL for (int i = 0; i < MR; ++i) dv[i] = V::loadu(d + i * a.dy_cs + c);
      MR_UNROLL for (int j = 0; j < NR; ++j) {
        const R x = V::loadu(base[j] + qr + c);
        MR_UNROLL for (int i = 0; i < MR; ++i) acc[i][j] = V::fma(dv[i], x, acc[i][j]);
      }
    }
    if (c < width) {
      const int n = width - c;
      R dv[MR];
      MR_UNROLL for (int i = 0; i < MR; ++i) dv[i] = V::loadu_n(d + i * a.dy_cs + c, n);
      MR_UNROLL for (int j = 0; j < NR; ++j) {
        const R x = V::loadu_n(base[j] + qr + c, n);
        MR_UNROLL for (int i = 0; i < MR; ++i) acc[i][j] = V::fma(dv[i], x, acc[i][j]);
      }
    }
  }
  MR_UNROLL for (int j = 0; j < NR; ++j)
    MR_UNROLL for (int i = 0; i < MR; ++i) a.part[dst[j] + co + i] += V::hsum(acc[i][j]);
}

template <class V>
constexpr int nr_pos(int m) {
  const int fit = (V::kRegs - 1 - m) / m;
  return fit > 24 ? 24 : fit < 1 ? 1 : fit;
}

template <class V, int MR>
inline void bw_pos_pairs(const BwPlaneArgs& a, int co, Prefetcher& pf) {
  constexpr int NR = nr_pos<V>(MR);
  int j = 0;
  for (; j + NR <= a.npairs; j += NR) {
    pf.step();
    bw_pos_block<V, MR, NR>(a, co, a.pairoff + j, a.pairdst + j);
  }
  if constexpr (NR > 4)
    for (; j + 4 <= a.npairs; j += 4) bw_pos_block<V, MR, 4>(a, co, a.pairoff + j, a.pairdst + j);
  for (; j < a.npairs; ++j) bw_pos_block<V, MR, 1>(a, co, a.pairoff + j, a.pairdst + j);
}

template <class V>
void bw_plane_pos(const BwPlaneArgs& a) {
  Prefetcher pf(a, int64_t((a.co1 - a.co0 + 3) / 4) * ((a.npairs + 5) / 6));
  for (int co = a.co0; co < a.co1;) {
    const int m = a.co1 - co;
    if (m >= 4) bw_pos_pairs<V, 4>(a, co, pf), co += 4;
    else if (m == 3) bw_pos_pairs<V, 3>(a, co, pf), co += 3;
    else if (m == 2) bw_pos_pairs<V, 2>(a, co, pf), co += 2;
    else bw_pos_pairs<V, 1>(a, co, pf), co += 1;
  }
}

}  // namespace
}  // namespace mr::cpu::conv
