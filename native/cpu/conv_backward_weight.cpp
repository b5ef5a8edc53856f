// conv_backward_weight: dw[co, ci, k] = sum over n and output positions of dy * x (and db = sum of dy when a
// second output is given). Outputs are fully written.
#include "conv_common.h"
#include "conv_engine.h"
#include "kernels.h"

namespace mr::cpu {

Status conv_backward_weight(const KernelArgs& a) {
  conv::Geom g;
  MR_RETURN_IF_ERROR(conv::make_geom(params_of<ConvParams>(a), &g));
  MR_RETURN_IF_ERROR(expect_size("conv_backward_weight: x", a.in_size[0], g.x_size()));
  MR_RETURN_IF_ERROR(expect_size("conv_backward_weight: dy", a.in_size[1], g.y_size()));
  MR_RETURN_IF_ERROR(expect_size("conv_backward_weight: dw", a.out_size[0], g.w_size()));
  const bool want_db = a.n_out > 1;
  if (want_db) MR_RETURN_IF_ERROR(expect_size("conv_backward_weight: db", a.out_size[1], g.Cout));
  float* db = want_db ? a.out[1] : nullptr;
  if (!conv::engine_enabled() || !conv::engine_backward_weight(g, a.in[0], a.in[1], a.out[0])) {
    conv::generic_backward_weight(g, a.in[0], a.in[1], a.out[0], db);
    return Status::Ok();
  }
  if (db) conv::bias_grad(g, a.in[1], db);
  return Status::Ok();
}

}  // namespace mr::cpu
