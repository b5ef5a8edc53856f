// Shared by the three conv kernels: the geometry read from ConvParams (validated, 64-bit sizes) and the
// portable direct ("generic") implementations used where the tiled engine (conv_engine.h) declines a shape.
#pragma once
#include <cstdint>

#include "../core/kernel.h"
#include "../core/params.h"

namespace mr::cpu::conv {

// One spatial axis of a convolution: out = floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1.
struct Axis {
  int64_t in, out, k, stride, pad, dil;
};

struct Geom {
  int64_t N, Cin, Cout, G, Cig, Cog;  // Cig = Cin / groups, Cog = Cout / groups
  Axis a[3];                          // D, H, W
  bool bias;
  int64_t in_sp() const { return a[0].in * a[1].in * a[2].in; }
  int64_t out_sp() const { return a[0].out * a[1].out * a[2].out; }
  int64_t taps() const { return a[0].k * a[1].k * a[2].k; }
  int64_t x_size() const { return N * Cin * in_sp(); }
  int64_t y_size() const { return N * Cout * out_sp(); }
  int64_t w_size() const { return Cout * Cig * taps(); }
};

// Checks the params (positive sizes, divisible groups, output sizes matching the formula).
Status make_geom(const ConvParams& p, Geom* g);

// Portable direct implementations (threaded over disjoint outputs, deterministic). Buffers already checked.
void generic_forward(const Geom& g, const float* x, const float* w, const float* bias, float* y);
void generic_backward_data(const Geom& g, const float* dy, const float* w, float* dx);
void generic_backward_weight(const Geom& g, const float* x, const float* dy, float* dw, float* db);

}  // namespace mr::cpu::conv
