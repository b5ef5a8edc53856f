// conv_forward: y = conv(x, w) + bias (PyTorch semantics, NCDHW). Picks the tiled engine for the active
// instruction set (conv_engine.h) and falls back to the direct loops (conv_generic.cpp).
#include "conv_common.h"
#include "conv_engine.h"
#include "kernels.h"

namespace mr::cpu {

Status conv_forward(const KernelArgs& a) {
  conv::Geom g;
  MR_RETURN_IF_ERROR(conv::make_geom(params_of<ConvParams>(a), &g));
  if (a.n_in != (g.bias ? 3 : 2))
    return InvalidArgument(std::string("conv_forward: hasBias=") + (g.bias ? "1" : "0") + " but got " +
                           std::to_string(a.n_in) + " inputs");
  MR_RETURN_IF_ERROR(expect_size("conv_forward: x", a.in_size[0], g.x_size()));
  MR_RETURN_IF_ERROR(expect_size("conv_forward: w", a.in_size[1], g.w_size()));
  if (g.bias) MR_RETURN_IF_ERROR(expect_size("conv_forward: bias", a.in_size[2], g.Cout));
  MR_RETURN_IF_ERROR(expect_size("conv_forward: y", a.out_size[0], g.y_size()));
  const float* bias = g.bias ? a.in[2] : nullptr;
  if (!conv::engine_enabled() || !conv::engine_forward(g, a.in[0], a.in[1], bias, a.out[0]))
    conv::generic_forward(g, a.in[0], a.in[1], bias, a.out[0]);
  return Status::Ok();
}

}  // namespace mr::cpu
