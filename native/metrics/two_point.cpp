// Directional two-point correlation by exact pair counting on a bit-packed copy of the phase indicator: one bit per
// voxel, rows of ceil(nx / 64) words padded with zeros, so pairs leaving the volume never count.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/cpu_features.h"
#include "core/parallel.h"
#include "metrics/stats.h"

#define MR_TP_NS portable
#include "metrics/two_point_kernels.h"
#undef MR_TP_NS

namespace mr {
namespace stats {

namespace avx2 {
void pairs_x(const uint64_t*, int64_t, int64_t, int64_t, int64_t, int64_t*);
void pairs_y(const uint64_t*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t*);
void pairs_z(const uint64_t*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t*);
}  // namespace avx2

namespace {

struct Kernels {
  decltype(&portable::pairs_x) x;
  decltype(&portable::pairs_y) y;
  decltype(&portable::pairs_z) z;
};

Kernels kernels() {
#if defined(MR_X86)
  if (active_isa() != Isa::Portable) return {avx2::pairs_x, avx2::pairs_y, avx2::pairs_z};
#endif
  return {portable::pairs_x, portable::pairs_y, portable::pairs_z};
}

}  // namespace

Status two_point_directional(const uint8_t* labels, Grid g, uint8_t phase, const std::array<int64_t, 3>& max_lag,
                             std::array<std::vector<double>, 3>* s2, const Progress& p) {
  const int64_t words = (g.nx + 63) / 64;
  const int64_t rows = g.nz * g.ny;
  std::vector<uint64_t> bits(static_cast<size_t>(rows * words), 0);
  parallel_for(rows, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const uint8_t* src = labels + row * g.nx;
      uint64_t* dst = bits.data() + row * words;
      for (int64_t x = 0; x < g.nx; ++x) dst[x >> 6] |= uint64_t(src[x] == phase) << (x & 63);
    }
  });
  if (p.cancelled()) return aborted();
  const Kernels k = kernels();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  const int64_t total = rows * 3;
  for (int axis = 0; axis < 3; ++axis) {
    (*s2)[axis].clear();
    const int64_t n = g.extent(axis);
    const int64_t lag = std::min(max_lag[axis], n - 1);
    if (lag < 0) {
      done += rows;
      continue;
    }
    std::vector<int64_t> counts(lag + 1, 0);
    std::mutex mu;
    const int64_t items = axis == 0 ? rows : g.nz;
    const int64_t grain = axis == 0 ? 256 : 1;
    parallel_for(items, grain, [&](int64_t lo, int64_t hi) {
      if (stop.load(std::memory_order_relaxed)) return;
      if (p.cancelled()) {
        stop = true;
        return;
      }
      std::vector<int64_t> local(lag + 1, 0);
      if (axis == 0) k.x(bits.data(), words, lo, hi, lag, local.data());
      else if (axis == 1) k.y(bits.data(), g.ny, words, lo, hi, lag, local.data());
      else k.z(bits.data(), g.nz, g.ny * words, lo, hi, lag, local.data());
      {
        std::lock_guard<std::mutex> lk(mu);  // integer sums: the order does not matter
        for (int64_t r = 0; r <= lag; ++r) counts[r] += local[r];
      }
      const int64_t d = done.fetch_add((hi - lo) * (axis == 0 ? 1 : g.ny)) + (hi - lo) * (axis == 0 ? 1 : g.ny);
      p.report(double(d) / double(total));
    });
    if (stop) return aborted();
    std::vector<double>& out = (*s2)[axis];
    out.resize(lag + 1);
    const int64_t lines = g.size() / n;
    for (int64_t r = 0; r <= lag; ++r) out[r] = double(counts[r]) / double(lines * (n - r));
  }
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
