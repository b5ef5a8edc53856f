#include "kernel.h"

#include <new>

#include "parallel.h"

namespace mr {

const KernelDef* find_kernel(const std::string& name) {
  int n = 0;
  const KernelDef* defs = all_kernels(&n);
  for (int i = 0; i < n; ++i)
    if (name == defs[i].name) return &defs[i];
  return nullptr;
}

Status run_kernel(const std::string& name, const KernelArgs& args) {
  const KernelDef* def = find_kernel(name);
  if (!def) return Error(Code::NotSupported, "unknown kernel '" + name + "'");
  if (args.n_in < def->min_in || args.n_in > def->max_in)
    return InvalidArgument(name + ": got " + std::to_string(args.n_in) + " inputs");
  if (args.n_out < def->min_out || args.n_out > def->max_out)
    return InvalidArgument(name + ": got " + std::to_string(args.n_out) + " outputs");
  if (args.params_bytes != def->params_bytes)
    return InvalidArgument(name + ": params are " + std::to_string(args.params_bytes) + " bytes, expected " +
                           std::to_string(def->params_bytes));
  for (int i = 0; i < args.n_in; ++i)
    if (!args.in[i]) return InvalidArgument(name + ": input " + std::to_string(i) + " is null");
  for (int i = 0; i < args.n_out; ++i)
    if (!args.out[i]) return InvalidArgument(name + ": output " + std::to_string(i) + " is null");
  // Built before the kernel runs: once memory is gone, reporting it must not need any (empty if even this failed).
  std::string out_of_memory;
  // Every kernel runs flushing denormals, whichever thread calls it, and hands that thread its mode back.
  FlushDenormalsScope fp;
  try {
    out_of_memory = name + ": out of memory";
    return def->fn(args);
  } catch (const std::bad_alloc&) {
    return Error(Code::OutOfMemory, std::move(out_of_memory));
  } catch (const std::exception& e) {
    return Error(Code::Internal, name + ": " + e.what());
  }
}

}  // namespace mr
