/** The explicit list of WebGPU kernels, named as in native/cpu/register_all.cpp. */
import { concat, split } from './concat.js';
import { conv_backward_data, conv_backward_weight, conv_forward } from './conv.js';
import { binary_forward } from './binary.js';
import { gemm } from './gemm.js';
import { norm_apply, norm_backward, norm_forward } from './norm.js';
import { reduce_backward, reduce_forward } from './reduce.js';
import { softmax_backward, softmax_forward } from './softmax.js';
import { strided_copy, strided_scatter_add } from './strided.js';
import { unary_backward, unary_forward } from './unary.js';
import { upsample_backward, upsample_forward } from './upsample.js';
import type { GpuKernel } from './types.js';

export const KERNELS: Readonly<Record<string, GpuKernel>> = {
  conv_forward, conv_backward_data, conv_backward_weight,
  upsample_forward, upsample_backward,
  norm_forward, norm_apply, norm_backward,
  unary_forward, unary_backward,
  binary_forward,
  reduce_forward, reduce_backward,
  softmax_forward, softmax_backward,
  gemm,
  concat, split,
  strided_copy, strided_scatter_add,
};

export type { GpuBuf, GpuKernel } from './types.js';
