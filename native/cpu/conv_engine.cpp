// Driver of the tiled conv engine (see conv_engine.h): per-axis tap plans, tile copies, weight packing,
// output slots, work partitioning. Portable code; the compute is in the per-ISA micro-kernel files.
#include "conv_engine.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/parallel.h"

namespace mr::cpu::conv {

const IsaKernels& active_kernels() {
#if defined(MR_X86)
  switch (active_isa()) {
    case Isa::Avx512: return kernels_avx512();
    case Isa::Avx2: return kernels_avx2();
    default: break;
  }
#endif
  return kernels_portable();
}

bool engine_enabled() {
  static const bool on = [] {
    const char* env = std::getenv("MICRORECON_CONV");
    return !(env && !std::strcmp(env, "generic"));
  }();
  return on;
}

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- per-axis plans ---------------------------------------------------------------------------------------

// Tile grid index g of input phase slot p is input index s_in * g + phases[p] - pad. Output m of out-phase o
// goes to output index o_base + o_stride * m (m < M) and reads grid index m + e for each of its taps.
struct Tap {
  int ph;
  int64_t e, k;
};
struct OutPhase {
  int64_t M, o_base;
  std::vector<Tap> taps;
};
struct AxisPlan {
  int64_t in = 1, s_in = 1, pad = 0;
  std::vector<int64_t> phases;
  int64_t emax = 0, o_stride = 1, out_total = 1, Mmax = 0;
  std::vector<OutPhase> outs;
};

AxisPlan forward_axis(const Axis& a) {
  AxisPlan p;
  p.in = a.in, p.s_in = a.stride, p.pad = a.pad, p.o_stride = 1, p.out_total = a.out, p.Mmax = a.out;
  OutPhase o{a.out, 0, {}};
  for (int64_t k = 0; k < a.k; ++k) {
    const int64_t v = k * a.dil, ph = v % a.stride;
    auto it = std::find(p.phases.begin(), p.phases.end(), ph);
    const int slot = static_cast<int>(it - p.phases.begin());
    if (it == p.phases.end()) p.phases.push_back(ph);
    o.taps.push_back({slot, v / a.stride, k});
    p.emax = std::max(p.emax, v / a.stride);
  }
  p.outs.push_back(std::move(o));
  return p;
}

// Data gradient along one axis: dx (size a.in) from dy (size a.out). dx index i = i0 + s m receives tap k
// from dy index m + c_k with c_k = (i0 + pad - k dil) / s whenever that division is exact.
AxisPlan backward_data_axis(const Axis& a) {
  AxisPlan p;
  p.in = a.out, p.s_in = 1, p.phases = {0}, p.o_stride = a.stride, p.out_total = a.in;
  const int64_t s = a.stride;
  int64_t cmin = 0;
  bool any = false;
  for (int64_t i0 = 0; i0 < s; ++i0)
    for (int64_t k = 0; k < a.k; ++k) {
      const int64_t v = i0 + a.pad - k * a.dil;
      if (floor_div(v, s) * s != v) continue;
      cmin = any ? std::min(cmin, v / s) : v / s;
      any = true;
    }
  p.pad = -cmin;
  for (int64_t i0 = 0; i0 < s; ++i0) {
    OutPhase o{i0 < a.in ? ceil_div(a.in - i0, s) : 0, i0, {}};
    for (int64_t k = 0; k < a.k; ++k) {
      const int64_t v = i0 + a.pad - k * a.dil;
      if (floor_div(v, s) * s != v) continue;
      o.taps.push_back({0, v / s - cmin, k});
      p.emax = std::max(p.emax, v / s - cmin);
    }
    p.Mmax = std::max(p.Mmax, o.M);
    p.outs.push_back(std::move(o));
  }
  return p;
}

// ---- scratch ----------------------------------------------------------------------------------------------

// Grow-only, 64-byte aligned, per thread (the pool's threads persist, so tiles are not reallocated per call).
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t want) {
    if (want > n) {
      std::free(p);
      n = (want + 4095) & ~size_t(4095);
      p = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
      if (!p) {
        n = 0;
        throw std::bad_alloc();
      }
      std::memset(p, 0, n * sizeof(float));
    }
    return p;
  }
};
thread_local Scratch t_tile, t_dyt;

struct AlignedBuf {
  float* p = nullptr;
  explicit AlignedBuf(size_t n) {
    p = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) & ~size_t(63)) + 64));
    if (!p) throw std::bad_alloc();
  }
  ~AlignedBuf() { std::free(p); }
  AlignedBuf(const AlignedBuf&) = delete;
  AlignedBuf& operator=(const AlignedBuf&) = delete;
};

// ---- the flat-tile problem --------------------------------------------------------------------------------

constexpr int64_t kTileBudget = 1 << 20;  // bytes of one tile (about half an L2)

struct Problem {
  AxisPlan ax[3];        // D, H, W
  int64_t N, G;
  int64_t cin;           // tile channels per group
  int64_t cout;          // output channels per group
  int64_t in_C, out_C;   // channels of the whole input / output tensors
  const float* in;       // input tensor [N, in_C, D, H, W] (extents ax[a].in)
  // derived
  int64_t RD = 1, nph[3] = {1, 1, 1};
  int64_t Wt = 0;
  int64_t nb = 1;        // bands over m_h
  bool flat = false;     // output vectors run across row ends (see use_flat)
  int64_t Rmax = 0, Rt = 0, PB = 0, cs = 0;

  void derive(int vec) {
    for (int a = 0; a < 3; ++a) nph[a] = static_cast<int64_t>(ax[a].phases.size());
    RD = ax[0].emax + 1;
    Wt = ax[2].Mmax + ax[2].emax;
  }
  int64_t tile_floats(int64_t rows, int vec) const {
    const int64_t pb = (rows + ax[1].emax) * Wt;
    return cin * channel_stride(pb, vec);
  }
  int64_t channel_stride(int64_t pb, int vec) const {
    int64_t c = nph[0] * RD * nph[1] * nph[2] * pb + vec;
    int64_t lines = ceil_div(c, 16);
    if (lines % 2 == 0) ++lines;  // odd number of cache lines: channels spread over all L1 sets
    return lines * 16;
  }
  void set_bands(int64_t bands, int vec) {
    nb = std::max<int64_t>(1, std::min(bands, ax[1].Mmax));
    Rmax = ceil_div(ax[1].Mmax, nb);
    Rt = Rmax + ax[1].emax;
    PB = Rt * Wt;
    cs = channel_stride(PB, vec);
  }
  int64_t band_lo(int64_t b) const { return b * ax[1].Mmax / nb; }
  int64_t band_hi(int64_t b) const { return (b + 1) * ax[1].Mmax / nb; }
  int64_t items() const { return N * G * nb * ax[0].Mmax; }
};

bool use_flat(const Problem& P, int vec);

// Chooses the vector layout and the bands: tiles within the budget, enough work items for the threads, rows
// split evenly. Forward-type passes in row mode get a row pitch that is a multiple of the vector width when
// that costs little (then the loads of every first column tap do not straddle cache lines).
void choose_bands(Problem& P, int vec, int threads, bool fwd) {
  P.derive(vec);
  P.flat = fwd && use_flat(P, vec);
  if (fwd && !P.flat) {
    const int64_t aligned = ceil_div(P.Wt, vec) * vec;
    if (aligned * 100 <= P.Wt * 115) P.Wt = aligned;
  }
  const int64_t Mh = std::max<int64_t>(1, P.ax[1].Mmax);
  int64_t nb = std::max<int64_t>(1, ceil_div(P.tile_floats(Mh, vec) * 4, kTileBudget));
  // a band of at least ~2 halos, so the copy overhead stays small
  nb = std::min(nb, std::max<int64_t>(1, Mh / std::max<int64_t>(1, 2 * P.ax[1].emax)));
  const int64_t base = P.N * P.G * std::max<int64_t>(1, P.ax[0].Mmax);
  while (nb < Mh && (base * nb) % threads != 0 && base * nb < 8 * threads) ++nb;
  P.set_bands(nb, vec);
}

// Copies grid plane gd (all D-phases' plane slot) of the band [mh0, mh0 + Rt) for channels of one group.
void fill_plane(const Problem& P, float* tile, int64_t n, int64_t cbase, int64_t gd, int64_t slot, int64_t mh0) {
  const AxisPlan &D = P.ax[0], &H = P.ax[1], &W = P.ax[2];
  const int64_t inHW = H.in * W.in;
  for (int64_t pd = 0; pd < P.nph[0]; ++pd) {
    const int64_t id = D.s_in * gd + D.phases[pd] - D.pad;
    const bool dvalid = id >= 0 && id < D.in;
    for (int64_t ci = 0; ci < P.cin; ++ci) {
      const float* src = P.in + ((n * P.in_C + cbase + ci) * D.in + (dvalid ? id : 0)) * inHW;
      for (int64_t ph = 0; ph < P.nph[1]; ++ph)
        for (int64_t pw = 0; pw < P.nph[2]; ++pw) {
          float* blk = tile + ci * P.cs + (((pd * P.RD + slot) * P.nph[1] + ph) * P.nph[2] + pw) * P.PB;
          if (!dvalid) {
            std::memset(blk, 0, P.PB * sizeof(float));
            continue;
          }
          // columns c with 0 <= s c + phi - pad < in
          const int64_t off = W.phases[pw] - W.pad;
          const int64_t c0 = std::min(P.Wt, std::max<int64_t>(0, floor_div(-off + W.s_in - 1, W.s_in)));
          const int64_t c1 = std::max(c0, std::min(P.Wt, floor_div(W.in - 1 - off, W.s_in) + 1));
          for (int64_t r = 0; r < P.Rt; ++r) {
            float* row = blk + r * P.Wt;
            const int64_t ih = H.s_in * (mh0 + r) + H.phases[ph] - H.pad;
            if (ih < 0 || ih >= H.in) {
              std::memset(row, 0, P.Wt * sizeof(float));
              continue;
            }
            const float* s = src + ih * W.in + off;
            if (c0 > 0) std::memset(row, 0, c0 * sizeof(float));
            if (W.s_in == 1) {
              std::memcpy(row + c0, s + c0, (c1 - c0) * sizeof(float));
            } else {
              const int64_t st = W.s_in;
              for (int64_t c = c0; c < c1; ++c) row[c] = s[c * st];
            }
            if (c1 < P.Wt) std::memset(row + c1, 0, (P.Wt - c1) * sizeof(float));
          }
        }
    }
  }
}

// The ring of tile planes for one task: fills what output plane md needs.
struct Ring {
  int64_t key = -1, next = 0;  // task identity; grid planes [next - RD, next) are in the ring
  void need(const Problem& P, float* tile, int64_t key_now, int64_t n, int64_t cbase, int64_t md, int64_t mh0) {
    if (key_now != key || md > next || md < next - P.RD) next = md;
    key = key_now;
    for (const int64_t hi = md + P.RD; next < hi; ++next) fill_plane(P, tile, n, cbase, next, next % P.RD, mh0);
  }
};

// Input that the ring will copy for grid plane gd (prefetched while the current plane computes).
struct PfRange {
  const float* p = nullptr;
  int64_t cstride = 0, floats = 0;
  int chans = 0;
};
PfRange prefetch_range(const Problem& P, int64_t n, int64_t cbase, int64_t gd, int64_t mh0) {
  const AxisPlan &D = P.ax[0], &H = P.ax[1], &W = P.ax[2];
  PfRange r;
  const int64_t lo = std::max<int64_t>(0, D.s_in * gd + D.phases.front() - D.pad);
  const int64_t hi = std::min<int64_t>(D.in - 1, D.s_in * gd + D.phases.back() - D.pad);
  if (gd < 0 || lo > hi) return r;
  int64_t row0 = 0, rows = H.in;
  if (lo == hi && P.nb > 1) {
    row0 = std::max<int64_t>(0, H.s_in * mh0 - H.pad);
    rows = std::max<int64_t>(0, std::min<int64_t>(H.in, H.s_in * (mh0 + P.Rt) + H.s_in - H.pad) - row0);
  }
  r.p = P.in + ((n * P.in_C + cbase) * D.in + lo) * H.in * W.in + row0 * W.in;
  r.cstride = D.in * H.in * W.in;
  r.floats = lo == hi ? rows * W.in : (hi - lo + 1) * H.in * W.in;
  r.chans = static_cast<int>(P.cin);
  return r;
}

// Taps of one (D, H, W) out-phase combination for output plane md of band [mh0, mh1): offsets into the tile,
// index into the weights' tap axis; taps reading only padding are dropped.
// With planes > 1 (a block of output planes md.. in a tile without ring, slot = gd - md) a tap is live when
// it reads the input for any of the planes.
void live_taps(const Problem& P, const OutPhase& od, const OutPhase& oh, const OutPhase& ow, int64_t md,
               int64_t mh0, int64_t rows, const Geom& g, std::vector<int64_t>& off, std::vector<int32_t>& idx,
               int64_t planes = 0) {
  const AxisPlan &D = P.ax[0], &H = P.ax[1];
  off.clear();
  idx.clear();
  const int64_t kH = g.a[1].k, kW = g.a[2].k;
  for (const Tap& td : od.taps) {
    const int64_t gd = md + td.e;
    const int64_t id = D.s_in * gd + D.phases[td.ph] - D.pad;
    const int64_t id_last = id + D.s_in * (std::max<int64_t>(planes, 1) - 1);
    if (id_last < 0 || id >= D.in) continue;
    const int64_t slot = planes > 0 ? td.e : gd % P.RD;
    for (const Tap& th : oh.taps) {
      // rows mh0 + r + e, r < rows: any inside the input?
      const int64_t ih0 = H.s_in * (mh0 + th.e) + H.phases[th.ph] - H.pad;
      const int64_t ih1 = ih0 + H.s_in * (rows - 1);
      if (ih1 < 0 || ih0 >= H.in) continue;
      for (const Tap& tw : ow.taps) {
        off.push_back((((td.ph * P.RD + slot) * P.nph[1] + th.ph) * P.nph[2] + tw.ph) * P.PB + th.e * P.Wt + tw.e);
        idx.push_back(static_cast<int32_t>((td.k * kH + th.k) * kW + tw.k));
      }
    }
  }
}

// The (live tap, ci) steps of the forward micro-kernel: tile offsets and runs of consecutive weights.
void steps(const Problem& P, const std::vector<int64_t>& off, const std::vector<int32_t>& idx,
           std::vector<int32_t>& koff, std::vector<Seg>& segs) {
  koff.clear();
  segs.clear();
  for (size_t t = 0; t < off.size(); ++t) {
    const int32_t k0 = static_cast<int32_t>(koff.size());
    for (int64_t ci = 0; ci < P.cin; ++ci) koff.push_back(static_cast<int32_t>(ci * P.cs + off[t]));
    if (!segs.empty() && idx[t] == idx[t - 1] + 1) segs.back().k1 = static_cast<int32_t>(koff.size());
    else segs.push_back({k0, static_cast<int32_t>(koff.size()), int64_t(idx[t]) * P.cin});
  }
}

// Output vectors of a band for one (H, W) out-phase pair.
void make_slots(const Problem& P, const OutPhase& oh, const OutPhase& ow, int64_t mh0, int64_t mh1, int vec,
                bool flat, std::vector<Slot>& out) {
  out.clear();
  const AxisPlan &H = P.ax[1], &W = P.ax[2];
  const int64_t rows = std::max<int64_t>(0, std::min(mh1, oh.M) - mh0);
  const int64_t Mw = ow.M;
  if (rows <= 0 || Mw <= 0) return;
  if (flat) {
    const int64_t end = (rows - 1) * P.Wt + Mw;
    for (int64_t q = 0; q < end; q += vec) {
      uint32_t mask = 0;
      int64_t first = -1;
      for (int l = 0; l < vec; ++l) {
        const int64_t pos = q + l, r = pos / P.Wt, c = pos % P.Wt;
        if (r < rows && c < Mw) {
          mask |= 1u << l;
          if (first < 0) first = (oh.o_base + H.o_stride * (mh0 + r)) * W.out_total + ow.o_base + c;
        }
      }
      if (mask) out.push_back({q, first, mask});
    }
    return;
  }
  const int64_t per_row = ceil_div(Mw, vec);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t orow = (oh.o_base + H.o_stride * (mh0 + r)) * W.out_total;
    for (int64_t j = 0; j < per_row; ++j) {
      const int64_t n = std::min<int64_t>(vec, Mw - j * vec);
      const uint32_t mask = n >= 32 ? 0xFFFFFFFFu : ((1u << n) - 1);
      out.push_back({r * P.Wt + j * vec, orow + ow.o_base + W.o_stride * j * vec, mask});
    }
  }
}

// Flat mode (vectors run across row ends) when it wastes fewer lanes than row-anchored vectors.
bool use_flat(const Problem& P, int vec) {
  const AxisPlan &H = P.ax[1], &W = P.ax[2];
  if (H.outs.size() != 1 || W.outs.size() != 1 || H.o_stride != 1 || W.o_stride != 1) return false;
  if (W.outs[0].M != W.out_total || W.outs[0].o_base != 0) return false;
  const double Mw = static_cast<double>(W.outs[0].M);
  const double row_cost = static_cast<double>(ceil_div(W.outs[0].M, vec) * vec) / Mw;
  const double flat_cost = static_cast<double>(P.Wt) / Mw;
  return flat_cost < 0.95 * row_cost;
}

// Packs weights for the forward micro-kernel: per group, blocks of MR output channels, [tap][ci][mr].
// wv(grp, co, ci, t) gives the weight of output channel co, tile channel ci, tap t (within the group).
template <typename F>
void pack_weights(float* dst, int64_t G, int64_t cout, int64_t cin, int64_t taps, int mr, F wv) {
  const int64_t nblk = ceil_div(cout, mr), per_group = cout * cin * taps;
  parallel_for(G * nblk, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t grp = it / nblk, blk = it % nblk, co0 = blk * mr;
      const int64_t m = std::min<int64_t>(mr, cout - co0);
      float* d = dst + grp * per_group + co0 * taps * cin;
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t ci = 0; ci < cin; ++ci)
          for (int64_t i = 0; i < m; ++i) *d++ = wv(grp, co0 + i, ci, t);
    }
  });
}

// Runs forward-type passes (forward, backward data). `out` has out_C channels and extents ax[a].out_total.
void run_fwd(Problem& P, const Geom& g, const float* wpk, const float* bias, float* out) {
  const IsaKernels& K = active_kernels();
  const int vec = K.vec, T = num_threads();
  const bool flat = P.flat;
  const int64_t taps = g.taps();
  const AxisPlan &D = P.ax[0], &H = P.ax[1], &W = P.ax[2];
  const int64_t Md = std::max<int64_t>(1, D.Mmax);
  const int64_t nblk = ceil_div(P.cout, K.mr);
  int64_t csplit = 1;
  const int64_t base = P.N * P.G * P.nb * Md;
  if (base < 2 * T) csplit = std::min(nblk, ceil_div(2 * T, base));
  const int64_t units = base * csplit;
  const int64_t out_cs = D.out_total * H.out_total * W.out_total;
  const int64_t tile_n = P.cin * P.cs;

  // Contiguous runs of units (consecutive planes share the ring), taken dynamically: a few more runs than
  // threads, so a thread slowed down by other load on a shared machine does not hold up the rest.
  const int64_t runs = std::min<int64_t>(units, T > 1 ? 4 * T : 1);
  std::atomic<int64_t> next_run{0};
  std::atomic<bool> failed{false};
  parallel_run([&](int, int) {
    try {
      float* tile = nullptr;
      std::vector<Slot> slots;
      std::vector<int64_t> off;
      std::vector<int32_t> idx, koff;
      std::vector<Seg> segs;
      Ring ring;
      for (;;) {
        const int64_t run = next_run.fetch_add(1);
        if (run >= runs) break;
        if (!tile) tile = t_tile.get(static_cast<size_t>(tile_n));
        const int64_t u0 = units * run / runs, u1 = units * (run + 1) / runs;
        for (int64_t u = u0; u < u1; ++u) {
          const int64_t md = u % Md;
          int64_t rest = u / Md;
          const int64_t cpart = rest % csplit;
          rest /= csplit;
          const int64_t b = rest % P.nb;
          rest /= P.nb;
          const int64_t grp = rest % P.G, n = rest / P.G;
          const int64_t mh0 = P.band_lo(b), mh1 = P.band_hi(b);
          const int co0 = static_cast<int>(nblk * cpart / csplit * K.mr);
          const int co1 = static_cast<int>(std::min<int64_t>(P.cout, nblk * (cpart + 1) / csplit * K.mr));
          ring.need(P, tile, u / Md, n, grp * P.cin, md, mh0);
          for (const OutPhase& od : D.outs) {
            if (md >= od.M) continue;
            float* oplane = out + ((n * P.out_C + grp * P.cout) * D.out_total + od.o_base + D.o_stride * md) *
                                      H.out_total * W.out_total;
            for (const OutPhase& oh : H.outs)
              for (const OutPhase& ow : W.outs) {
                const int64_t rows = std::min(mh1, oh.M) - mh0;
                if (rows <= 0 || ow.M <= 0) continue;
                make_slots(P, oh, ow, mh0, mh1, vec, flat, slots);
                live_taps(P, od, oh, ow, md, mh0, rows, g, off, idx);
                steps(P, off, idx, koff, segs);
                FwdPlaneArgs a;
                a.tile = tile;
                a.cs = P.cs;
                a.cin = static_cast<int>(P.cin);
                a.koff = koff.data();
                a.segs = segs.data();
                a.nsegs = static_cast<int>(segs.size());
                a.wpk = wpk + grp * P.cout * P.cin * taps;
                a.wtaps = taps;
                a.cout = static_cast<int>(P.cout);
                a.co0 = co0;
                a.co1 = co1;
                a.bias = bias ? bias + grp * P.cout : nullptr;
                a.out = oplane;
                a.out_cs = out_cs;
                a.lane_stride = W.o_stride;
                a.slots = slots.data();
                a.nslots = static_cast<int>(slots.size());
                PfRange pr;
                if (u + 1 < u1 && &od == &D.outs.front() && &oh == &H.outs.front() && &ow == &W.outs.front()) {
                  // what the ring copies for the next unit: one new plane, or the first plane of a new task
                  const int64_t v = u + 1, vmd = v % Md, vrest = v / Md / csplit;
                  const int64_t vb = vrest % P.nb, vgrp = (vrest / P.nb) % P.G, vn = vrest / P.nb / P.G;
                  pr = v / Md == u / Md ? prefetch_range(P, n, grp * P.cin, md + P.RD, mh0)
                                        : prefetch_range(P, vn, vgrp * P.cin, vmd, P.band_lo(vb));
                }
                a.pf = pr.p;
                a.pf_cstride = pr.cstride;
                a.pf_floats = pr.floats;
                a.pf_chans = pr.chans;
                K.fwd_plane(a);
              }
          }
        }
      }
    } catch (...) {  // no exception may leave a pool thread: report it on the caller
      failed = true;
    }
  });
  if (failed) throw std::bad_alloc();
}

// Chooses the bands; false when even the chosen tile is unreasonably large (huge kernels or dilations).
bool plan_tiles(Problem& P, int vec, int threads, bool fwd) {
  choose_bands(P, vec, threads, fwd);
  return P.cin * P.cs * 4 <= (int64_t(64) << 20);  // also keeps tile offsets within int32
}

}  // namespace

bool engine_forward(const Geom& g, const float* x, const float* w, const float* bias, float* y) {
  const IsaKernels& K = active_kernels();
  Problem P;
  for (int a = 0; a < 3; ++a) P.ax[a] = forward_axis(g.a[a]);
  P.N = g.N, P.G = g.G, P.cin = g.Cig, P.cout = g.Cog, P.in_C = g.Cin, P.out_C = g.Cout, P.in = x;
  if (!plan_tiles(P, K.vec, num_threads(), true)) return false;
  const int64_t taps = g.taps();
  AlignedBuf wpk(static_cast<size_t>(g.w_size()));
  pack_weights(wpk.p, g.G, g.Cog, g.Cig, taps, K.mr, [&](int64_t grp, int64_t co, int64_t ci, int64_t t) {
    return w[((grp * g.Cog + co) * g.Cig + ci) * taps + t];
  });
  run_fwd(P, g, wpk.p, bias, y);
  return true;
}

bool engine_backward_data(const Geom& g, const float* dy, const float* w, float* dx) {
  const IsaKernels& K = active_kernels();
  Problem P;
  for (int a = 0; a < 3; ++a) P.ax[a] = backward_data_axis(g.a[a]);
  P.N = g.N, P.G = g.G, P.cin = g.Cog, P.cout = g.Cig, P.in_C = g.Cout, P.out_C = g.Cin, P.in = dy;
  if (!plan_tiles(P, K.vec, num_threads(), true)) return false;
  const int64_t taps = g.taps();
  AlignedBuf wpk(static_cast<size_t>(g.w_size()));
  // "output" channel = dx channel (cil), "input" channel = dy channel (j)
  pack_weights(wpk.p, g.G, g.Cig, g.Cog, taps, K.mr, [&](int64_t grp, int64_t cil, int64_t j, int64_t t) {
    return w[((grp * g.Cog + j) * g.Cig + cil) * taps + t];
  });
  run_fwd(P, g, wpk.p, nullptr, dx);
  return true;
}

bool engine_backward_weight(const Geom& g, const float* x, const float* dy, float* dw) {
  const IsaKernels& K = active_kernels();
  const int vec = K.vec, T = num_threads();
  Problem P;
  for (int a = 0; a < 3; ++a) P.ax[a] = forward_axis(g.a[a]);
  P.N = g.N, P.G = g.G, P.cin = g.Cig, P.cout = g.Cog, P.in_C = g.Cin, P.out_C = g.Cout, P.in = x;
  if (!plan_tiles(P, vec, 8, false)) return false;  // 8, not T: the bands fix the summation order
  const AxisPlan &D = P.ax[0], &H = P.ax[1], &W = P.ax[2];
  // Few output channels per group: vectors along positions instead of along output channels.
  const bool pos_mode = g.Cog * 2 <= vec;
  const int64_t taps = g.taps(), cop = pos_mode ? g.Cog : ceil_div(g.Cog, vec) * vec;
  const int64_t ncv = pos_mode ? g.Cog : cop / vec;  // units of the channel split
  const int64_t part_n = g.G * g.Cig * taps * cop;
  const int64_t items = P.items();
  const int64_t Mw = W.Mmax, osp_hw = H.out_total * W.out_total, Md = D.Mmax;
  // Small planes: blocks of dp output planes share one tile (no ring, plane slot = grid plane - first plane),
  // so the micro-kernel runs over enough positions per call to amortise its partial-sum updates.
  int64_t dp = 1;
  if (Md > 1 && P.Rmax * Mw < 256) {
    dp = std::min<int64_t>(Md, ceil_div(512, P.Rmax * Mw));
    for (;; --dp) {
      P.RD = dp + D.emax;
      P.set_bands(P.nb, vec);
      if (dp == 1 || P.cin * P.cs * 4 <= 2 * kTileBudget) break;
    }
    if (dp == 1) {
      P.RD = D.emax + 1;
      P.set_bands(P.nb, vec);
    }
  }
  // Slabs: contiguous runs of work items with their own partial sums, reduced in slab order. Their number
  // depends on the problem only (not on the thread count, up to 8 threads), so results are reproducible.
  int64_t S = std::min<int64_t>(ceil_div(items, dp), std::max(8, T));
  while (S > 1 && S * part_n * 4 > (int64_t(48) << 20)) S = (S + 1) / 2;
  int64_t csplit = 1;
  if (S < 2 * T) csplit = std::min<int64_t>(ncv, ceil_div(2 * T, S));
  const int64_t units = S * csplit;
  AlignedBuf part(static_cast<size_t>(S * part_n));
  parallel_for(S, 1, [&](int64_t lo, int64_t hi) {
    std::memset(part.p + lo * part_n, 0, (hi - lo) * part_n * sizeof(float));
  });
  const int64_t tile_n = P.cin * P.cs;
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  parallel_run([&](int, int) {
    try {
      float* tile = nullptr;
      std::vector<int64_t> off, pairoff, pairdst;
      std::vector<int32_t> idx;
      for (;;) {
        const int64_t u = next.fetch_add(1);
        if (u >= units) break;
        if (!tile) tile = t_tile.get(static_cast<size_t>(tile_n));
        const int64_t s = u / csplit, cpart = u % csplit;
        const int cv0 = static_cast<int>(ncv * cpart / csplit), cv1 = static_cast<int>(ncv * (cpart + 1) / csplit);
        if (cv0 >= cv1) continue;
        const int64_t i0 = items * s / S, i1 = items * (s + 1) / S;
        Ring ring;
        for (int64_t it = i0; it < i1;) {
          const int64_t md = it % Md;
          int64_t rest = it / Md;
          const int64_t b = rest % P.nb;
          rest /= P.nb;
          const int64_t grp = rest % P.G, n = rest / P.G;
          const int64_t mh0 = P.band_lo(b), mh1 = P.band_hi(b), rows = mh1 - mh0;
          const int64_t planes = dp > 1 ? std::min({dp, Md - md, i1 - it}) : 1;
          if (rows <= 0) {
            it += planes;
            continue;
          }
          if (dp > 1) {
            for (int64_t k = 0; k < planes + D.emax; ++k) fill_plane(P, tile, n, grp * P.cin, md + k, k, mh0);
          } else {
            ring.need(P, tile, it / Md, n, grp * P.cin, md, mh0);
          }
          // dy of these planes' band, transposed to [pos][channel], channels of this unit only, padding zeroed
          const int64_t ppos = rows * Mw, npos = planes * ppos;
          float* dyt = pos_mode ? nullptr : t_dyt.get(static_cast<size_t>(npos * cop));
          const int64_t c_lo = cv0 * vec, c_hi = std::min<int64_t>(cv1 * vec, g.Cog);
          for (int64_t c = c_lo; !pos_mode && c < cv1 * vec; ++c) {
            if (c >= c_hi) {
              for (int64_t pos = 0; pos < npos; ++pos) dyt[pos * cop + c] = 0.f;
              continue;
            }
            for (int64_t k = 0; k < planes; ++k) {
              const float* src = dy + ((n * g.Cout + grp * g.Cog + c) * D.out_total + md + k) * osp_hw + mh0 * Mw;
              float* d = dyt + k * ppos * cop + c;
              for (int64_t pos = 0; pos < ppos; ++pos) d[pos * cop] = src[pos];
            }
          }
          live_taps(P, D.outs[0], H.outs[0], W.outs[0], md, mh0, rows, g, off, idx, dp > 1 ? planes : 0);
          pairoff.clear();
          pairdst.clear();
          for (int64_t ci = 0; ci < P.cin; ++ci)
            for (size_t k = 0; k < off.size(); ++k) {
              pairoff.push_back(ci * P.cs + off[k]);
              pairdst.push_back(((grp * g.Cig + ci) * taps + idx[k]) * cop);
            }
          BwPlaneArgs a;
          a.tile = tile;
          a.cs = P.cs;
          a.pairoff = pairoff.data();
          a.pairdst = pairdst.data();
          a.npairs = static_cast<int>(pairoff.size());
          a.dyt = dyt;
          a.cop = cop;
          a.cv0 = cv0;
          a.cv1 = cv1;
          a.rows = static_cast<int>(planes * rows);
          a.width = static_cast<int>(Mw);
          a.pitch = P.Wt;
          a.plane_rows = static_cast<int>(rows);
          a.plane_stride = P.nph[1] * P.nph[2] * P.PB;
          a.part = part.p + s * part_n;
          a.dy = dy + ((n * g.Cout + grp * g.Cog + cv0) * D.out_total + md) * osp_hw + mh0 * Mw;
          a.dy_cs = D.out_total * osp_hw;
          a.dy_ps = osp_hw;
          a.co0 = cv0;
          a.co1 = cv1;
          const PfRange pr = dp == 1 && it + 1 < i1 ? prefetch_range(P, n, grp * P.cin, md + P.RD, mh0) : PfRange{};
          a.pf = pr.p;
          a.pf_cstride = pr.cstride;
          a.pf_floats = pr.floats;
          a.pf_chans = pr.chans;
          (pos_mode ? K.bw_plane_pos : K.bw_plane)(a);
          it += planes;
        }
      }
    } catch (...) {  // no exception may leave a pool thread: report it on the caller
      failed = true;
    }
  });
  if (failed) throw std::bad_alloc();
  // dw[grp, co, ci, t] = sum over slabs, in slab order
  parallel_for(g.G * g.Cig * taps, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t grp = r / (g.Cig * taps), ci_t = r % (g.Cig * taps);
      for (int64_t co = 0; co < g.Cog; ++co) {
        float sum = part.p[r * cop + co];
        for (int64_t s = 1; s < S; ++s) sum += part.p[s * part_n + r * cop + co];
        dw[(grp * g.Cog + co) * g.Cig * taps + ci_t] = sum;
      }
    }
  });
  return true;
}

void bias_grad(const Geom& g, const float* dy, float* db) {
  const int64_t osp = g.out_sp();
  parallel_for(g.Cout, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t co = lo; co < hi; ++co) {
      double s = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        const float* p = dy + (n * g.Cout + co) * osp;
        float part[16] = {};
        int64_t i = 0;
        for (; i + 16 <= osp; i += 16)
          for (int l = 0; l < 16; ++l) part[l] += p[i + l];
        for (; i < osp; ++i) part[0] += p[i];
        for (float v : part) s += v;
      }
      db[co] = static_cast<float>(s);
    }
  });
}

}  // namespace mr::cpu::conv
