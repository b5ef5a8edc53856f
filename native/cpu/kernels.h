// Declarations of every CPU kernel (one file per op, same names in native/cuda and the wasm build).
#pragma once
#include "../core/kernel.h"

namespace mr::cpu {

// conv.*: native/cpu/conv_forward.cpp, conv_backward_data.cpp, conv_backward_weight.cpp
Status conv_forward(const KernelArgs&);          // in: x, w, [bias]      out: y
Status conv_backward_data(const KernelArgs&);    // in: dy, w             out: dx
Status conv_backward_weight(const KernelArgs&);  // in: x, dy             out: dw, [dbias]

// native/cpu/upsample.cpp
Status upsample_forward(const KernelArgs&);      // in: x                 out: y
Status upsample_backward(const KernelArgs&);     // in: dy                out: dx
// native/cpu/norm.cpp
Status norm_forward(const KernelArgs&);          // in: x, [gamma, beta]  out: y, mean, rstd
Status norm_apply(const KernelArgs&);            // in: x, mean, rstd, [gamma, beta]  out: y
Status norm_backward(const KernelArgs&);         // in: x, dy, mean, rstd, [gamma]   out: dx, [dgamma, dbeta]
// native/cpu/unary.cpp
Status unary_forward(const KernelArgs&);         // in: x                 out: y
Status unary_backward(const KernelArgs&);        // in: x, y, dy          out: dx
// native/cpu/binary.cpp
Status binary_forward(const KernelArgs&);        // in: a, b              out: y
// native/cpu/reduce.cpp
Status reduce_forward(const KernelArgs&);        // in: x                 out: y
Status reduce_backward(const KernelArgs&);       // in: x, y, dy          out: dx
// native/cpu/softmax.cpp
Status softmax_forward(const KernelArgs&);       // in: x                 out: y
Status softmax_backward(const KernelArgs&);      // in: y, dy             out: dx
// native/cpu/gemm.cpp
Status gemm(const KernelArgs&);                  // in: A, B, [bias]      out: C
// native/cpu/concat.cpp
Status concat(const KernelArgs&);                // in: x0..xn-1          out: y
Status split(const KernelArgs&);                 // in: y                 out: x0..xn-1
// native/cpu/strided.cpp
Status strided_copy(const KernelArgs&);          // in: x                 out: y
Status strided_scatter_add(const KernelArgs&);   // in: dy                out: dx (zeroed, then accumulated)

}  // namespace mr::cpu
