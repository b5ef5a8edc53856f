// conv_backward_data: dx = conv^T(dy, w), the gradient of conv_forward w.r.t. x and the forward of
// convTranspose (dx may be larger than the conv formula reaches: unreached elements are 0).
#include "conv_common.h"
#include "conv_engine.h"
#include "kernels.h"

namespace mr::cpu {

Status conv_backward_data(const KernelArgs& a) {
  conv::Geom g;
  MR_RETURN_IF_ERROR(conv::make_geom(params_of<ConvParams>(a), &g));
  MR_RETURN_IF_ERROR(expect_size("conv_backward_data: dy", a.in_size[0], g.y_size()));
  MR_RETURN_IF_ERROR(expect_size("conv_backward_data: w", a.in_size[1], g.w_size()));
  MR_RETURN_IF_ERROR(expect_size("conv_backward_data: dx", a.out_size[0], g.x_size()));
  if (!conv::engine_enabled() || !conv::engine_backward_data(g, a.in[0], a.in[1], a.out[0]))
    conv::generic_backward_data(g, a.in[0], a.in[1], a.out[0]);
  return Status::Ok();
}

}  // namespace mr::cpu
