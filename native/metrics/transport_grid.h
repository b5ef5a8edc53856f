// Shared by the transport solvers: the conducting phase as a 0/1 mask with the transport axis made the slowest
// one, pruning of clusters that do not span the two faces, and deterministic parallel reductions.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "metrics/transport_solver.h"

namespace mr {
namespace transport {

// A 0/1 mask of shape [n0, n1, n2] where axis 0 is the transport axis.
struct AxisMask {
  int64_t n0 = 0, n1 = 0, n2 = 0;
  std::vector<uint8_t> m;
  int64_t size() const { return n0 * n1 * n2; }
};

// m = (labels == label), permuted so that `axis` comes first (the other two keep their order); `pad` extra
// all-one planes are added before and after along axis 0. Returns the number of label voxels.
int64_t build_axis_mask(const LabelVolume& vol, int label, int axis, int64_t pad, AxisMask* out);

// Keeps only the voxels of connected components that touch both the first and the last plane of [lo, hi) along
// axis 0 (voxels outside [lo, hi) are left as they are and do not connect). connectivity: 6 (faces) or 18
// (faces and edges). Union-find over x-runs. Returns the number of voxels kept in [lo, hi).
int64_t keep_spanning(AxisMask* mask, int64_t lo, int64_t hi, int connectivity);

// Fixed work blocks, independent of the thread count, so that reductions give the same bits on any machine.
constexpr int64_t kBlock = 4096;
inline int64_t num_blocks(int64_t n, int64_t block = kBlock) { return (n + block - 1) / block; }

// Runs fn(block_index, lo, hi) for blocks of `block` items of [0, n) on the thread pool.
void for_blocks(int64_t n, int64_t block, const std::function<void(int64_t, int64_t, int64_t)>& fn);

// Sums per-block partials in block order (deterministic).
double ordered_sum(const std::vector<double>& partials);

}  // namespace transport
}  // namespace mr
