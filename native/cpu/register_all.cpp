// The explicit list of CPU kernels: name, function, params struct, input/output counts (min, max).
#include "../core/params.h"
#include "kernels.h"

namespace mr {

static const KernelDef kKernels[] = {
    {"conv_forward", cpu::conv_forward, sizeof(ConvParams), 2, 3, 1, 1},
    {"conv_backward_data", cpu::conv_backward_data, sizeof(ConvParams), 2, 2, 1, 1},
    {"conv_backward_weight", cpu::conv_backward_weight, sizeof(ConvParams), 2, 2, 1, 2},
    {"upsample_forward", cpu::upsample_forward, sizeof(UpsampleParams), 1, 1, 1, 1},
    {"upsample_backward", cpu::upsample_backward, sizeof(UpsampleParams), 1, 1, 1, 1},
    {"norm_forward", cpu::norm_forward, sizeof(NormParams), 1, 3, 3, 3},
    {"norm_apply", cpu::norm_apply, sizeof(NormParams), 3, 5, 1, 1},
    {"norm_backward", cpu::norm_backward, sizeof(NormParams), 4, 5, 1, 3},
    {"unary_forward", cpu::unary_forward, sizeof(UnaryParams), 1, 1, 1, 1},
    {"unary_backward", cpu::unary_backward, sizeof(UnaryParams), 3, 3, 1, 1},
    {"binary_forward", cpu::binary_forward, sizeof(BinaryParams), 2, 2, 1, 1},
    {"reduce_forward", cpu::reduce_forward, sizeof(ReduceParams), 1, 1, 1, 1},
    {"reduce_backward", cpu::reduce_backward, sizeof(ReduceParams), 3, 3, 1, 1},
    {"softmax_forward", cpu::softmax_forward, sizeof(SoftmaxParams), 1, 1, 1, 1},
    {"softmax_backward", cpu::softmax_backward, sizeof(SoftmaxParams), 2, 2, 1, 1},
    {"gemm", cpu::gemm, sizeof(GemmParams), 2, 3, 1, 1},
    {"concat", cpu::concat, sizeof(ConcatParams), 1, kMaxConcat, 1, 1},
    {"split", cpu::split, sizeof(ConcatParams), 1, 1, 1, kMaxConcat},
    {"strided_copy", cpu::strided_copy, sizeof(StridedParams), 1, 1, 1, 1},
    {"strided_scatter_add", cpu::strided_scatter_add, sizeof(StridedParams), 1, 1, 1, 1},
};

const KernelDef* all_kernels(int* count) {
  *count = static_cast<int>(sizeof(kKernels) / sizeof(kKernels[0]));
  return kKernels;
}

}  // namespace mr
