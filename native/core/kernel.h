// The one signature every CPU kernel has. Buffers are owned by the caller (TypeScript allocates outputs after
// computing shapes); kernels only compute. Sizes are element counts, checked against the params by each kernel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "status.h"

namespace mr {

struct KernelArgs {
  const float* const* in;     // n_in input buffers
  const int64_t* in_size;     // element counts of the inputs
  int n_in;
  float* const* out;          // n_out output buffers (uninitialised unless a kernel says otherwise)
  const int64_t* out_size;
  int n_out;
  const void* params;         // one of the structs in params.h
  size_t params_bytes;
};

using KernelFn = Status (*)(const KernelArgs&);

struct KernelDef {
  const char* name;     // e.g. "conv_forward"
  KernelFn fn;
  size_t params_bytes;  // sizeof the params struct, checked before the call
  int min_in, max_in, min_out, max_out;
};

// Registry of all kernels of this build (native/cpu/register_all.cpp lists them explicitly).
const KernelDef* find_kernel(const std::string& name);
const KernelDef* all_kernels(int* count);

// Runs a kernel after checking the argument counts and the params size.
Status run_kernel(const std::string& name, const KernelArgs& args);

// Reads the params struct of a kernel (size already checked by run_kernel).
template <typename P>
inline const P& params_of(const KernelArgs& a) { return *static_cast<const P*>(a.params); }

// Checks a buffer's element count; used by kernels to refuse mismatched buffers instead of overrunning.
inline Status expect_size(const char* what, int64_t have, int64_t want) {
  if (have != want)
    return InvalidArgument(std::string(what) + " has " + std::to_string(have) + " elements, expected " +
                           std::to_string(want));
  return Status::Ok();
}

}  // namespace mr
