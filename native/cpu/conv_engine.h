// The tiled convolution engine shared by the three conv kernels (driver: conv_engine.cpp; compute: the
// micro-kernels of conv_microkernels.h, compiled once per instruction set in conv_kernels_{portable,avx2,
// avx512}.cpp). Portable declarations only: no intrinsics here.
//
// Every conv pass is expressed as a "flat tile" problem. Per task (batch n, group, band of output rows, a run
// of output planes) the input channels are copied into a zero-padded, phase-split scratch tile such that
// every kernel tap is one constant offset: output position q (flattened over the band's rows with the tile's
// row pitch) reads tile[ci * cs + tapoff + q]. The copy removes every boundary test from the micro-kernels,
// splits strided inputs into phases (so stride-s convs also have constant tap offsets) and gives the tile a
// channel stride that does not alias in L1. Output planes advance through a ring of tile planes, so each
// input plane is copied once per task.
//  - forward / backward-data: register-blocked micro-kernel, MR output channels x NR vectors of outputs,
//    broadcast (pre-packed) weights, loop over taps then input channels; stores only the valid lanes.
//    Backward data runs the same kernel on dy: per output phase (dx index = i0 + s m) the taps that reach it.
//  - backward weight: GEMM over output positions, vectorised over output channels (dy transposed per band),
//    broadcast tile values, accumulating into per-slab partial sums that are reduced in a fixed order (slabs
//    depend on the shape, not on the thread count). Groups with few output channels (depthwise, Cout = 1
//    heads) vectorise along the output rows instead and sum the lanes at the end. Small planes are processed
//    in blocks of several planes per tile so each micro-kernel call covers enough positions.
#pragma once
#include <cstdint>

#include "conv_common.h"

namespace mr::cpu::conv {

// One vector of outputs: tile offset q, output offset of its first valid lane, valid lanes (bit l = lane l).
// Lanes are consecutive tile positions; valid lanes go to off + l * lane_stride (row mode) or, for a mask that
// is not a prefix (flat mode, a vector crossing a row end), to consecutive outputs from off (compress store).
struct Slot {
  int64_t q;
  int64_t off;
  uint32_t mask;
};

// A run of (tap, ci) steps whose weights are consecutive in the packed layout: steps [k0, k1) use weight
// rows w0, w0 + 1, ... (row = tap * cin + ci of the packed [tap][ci][mr] block).
struct Seg {
  int32_t k0, k1;
  int64_t w0;
};

struct FwdPlaneArgs {
  const float* tile;       // tile of this task, channel 0
  int64_t cs;              // tile channel stride
  int cin;                 // channels in the tile
  const int32_t* koff;     // per step (live tap, ci): tile offset ci * cs + tap offset
  const Seg* segs;         // the steps in runs of consecutive weights
  int nsegs;               // 0: outputs are just the bias / zero
  const float* wpk;        // packed weights of the group: [co block][tap][ci][mr] with mr = MR (last: rest)
  int64_t wtaps;           // taps in the packed layout
  int cout;                // output channels of the group
  int co0, co1;            // channel range to compute (co0 a multiple of MR)
  const float* bias;       // group's bias or null
  float* out;              // output of channel 0 at this plane
  int64_t out_cs;          // output channel stride
  int64_t lane_stride;     // output stride between lanes (1; s for strided backward-data phases)
  const Slot* slots;
  int nslots;
  // Input the next tile fill will read (prefetched into L2 while this plane computes), or pf_chans = 0.
  const float* pf;
  int64_t pf_cstride, pf_floats;
  int pf_chans;
};

struct BwPlaneArgs {
  const float* tile;
  int64_t cs;
  const int64_t* pairoff;  // per (ci, tap) pair: ci * cs + tapoff
  const int64_t* pairdst;  // per pair: destination offset in the partial sums (floats, multiple of W)
  int npairs;
  const float* dyt;        // dy of the band transposed: [pos][cop] (pos = r * width + c)
  int64_t cop;             // padded channel count (multiple of the vector width)
  int cv0, cv1;            // channel vectors to compute [cv0, cv1)
  int rows, width;         // positions: rows x width, dyt row r at r * width * cop
  int64_t pitch;           // tile row pitch: row r starts at (r / plane_rows) * plane_stride + (r % plane_rows) * pitch
  int plane_rows;
  int64_t plane_stride;
  float* part;             // partial sums [pair dst][cop]
  // Position-vector mode (few output channels): dy read in place, rows of `width` contiguous outputs.
  const float* dy;         // dy of channel 0 (of the unit's range) at the first position
  int64_t dy_cs, dy_ps;    // dy channel stride, plane stride
  int co0, co1;            // channels to compute (partial sums at pair dst + co)
  const float* pf;         // as in FwdPlaneArgs
  int64_t pf_cstride, pf_floats;
  int pf_chans;
};

struct IsaKernels {
  const char* name;
  int vec;        // lanes per vector
  int mr;         // forward: output channels per micro-kernel
  int bw_mv;      // backward weight: channel vectors per micro-kernel
  void (*fwd_plane)(const FwdPlaneArgs&);
  void (*bw_plane)(const BwPlaneArgs&);      // vectors over output channels (dy transposed)
  void (*bw_plane_pos)(const BwPlaneArgs&);  // vectors over positions (few output channels)
};

const IsaKernels& kernels_portable();
#if defined(MR_X86)
const IsaKernels& kernels_avx2();
const IsaKernels& kernels_avx512();
#endif
const IsaKernels& active_kernels();  // by mr::active_isa()

// False when MICRORECON_CONV=generic (tests and benches of the direct path), read once per process.
bool engine_enabled();

// Entry points: return false when the engine declines the shape (the caller then runs the generic path).
bool engine_forward(const Geom& g, const float* x, const float* w, const float* bias, float* y);
bool engine_backward_data(const Geom& g, const float* dy, const float* w, float* dx);
bool engine_backward_weight(const Geom& g, const float* x, const float* dy, float* dw);
void bias_grad(const Geom& g, const float* dy, float* db);

}  // namespace mr::cpu::conv
