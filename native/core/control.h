// Progress and cancellation for long native work (solvers, large generation), shared with the caller through
// a small Int32Array that both sides can see: the caller sets `cancel`, the worker publishes progress in
// millionths. Plain shared memory works the same in Node (typed array backing store) and wasm (linear memory).
#pragma once
#include <cstdint>

namespace mr {

struct Control {
  // flags[0]: cancel request (0/1), flags[1]: progress in [0, 1e6]; null = no control
  int32_t* flags = nullptr;

  bool cancelled() const { return flags && __atomic_load_n(&flags[0], __ATOMIC_RELAXED) != 0; }
  void progress(double fraction) const {
    if (!flags) return;
    if (fraction < 0) fraction = 0;
    if (fraction > 1) fraction = 1;
    __atomic_store_n(&flags[1], static_cast<int32_t>(fraction * 1e6), __ATOMIC_RELAXED);
  }
};

}  // namespace mr
