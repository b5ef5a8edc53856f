// Kernels not implemented yet: each returns NotSupported so the addon links while they are written.
// Delete a kernel's line here when its own file implements it. This file must be empty before release.
#include "kernels.h"

#define MR_PENDING(name) \
  Status name(const KernelArgs&) { return Error(Code::NotSupported, #name " is not implemented yet"); }

namespace mr::cpu {
}  // namespace mr::cpu
