// 6-connected (2D: 4-connected) components of a phase by union-find over its x-runs. Runs are linked to the
// overlapping runs of the row before (y - 1) and of the slice before (z - 1). Slabs of rows are labelled in
// parallel (every link inside a slab touches only that slab's runs), then the links across slab starts are added
// serially. Roots are always the smallest run index, so one pass in index order flattens the forest.
#include <algorithm>
#include <atomic>
#include <numeric>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

struct Run {
  int32_t x0, x1;  // [x0, x1)
};

inline int32_t find(std::vector<int32_t>& parent, int32_t a) {
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

inline void unite(std::vector<int32_t>& parent, int32_t a, int32_t b) {
  a = find(parent, a);
  b = find(parent, b);
  if (a == b) return;
  if (a < b) parent[b] = a;
  else parent[a] = b;
}

}  // namespace

Status connectivity(const uint8_t* labels, Grid g, uint8_t phase, Connectivity* out, const Progress& p) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz, rows = nz * ny;
  *out = Connectivity{};
  // Runs per row, then a prefix sum.
  std::vector<int64_t> start(rows + 1, 0);
  parallel_for(rows, 256, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const uint8_t* row = labels + r * nx;
      int64_t n = 0;
      bool prev = false;
      for (int64_t x = 0; x < nx; ++x) {
        const bool in = row[x] == phase;
        n += in && !prev;
        prev = in;
      }
      start[r + 1] = n;
    }
  });
  for (int64_t r = 0; r < rows; ++r) start[r + 1] += start[r];
  const int64_t nruns = start[rows];
  if (nruns == 0) return Status::Ok();
  if (nruns > INT32_MAX) return Error(Code::NotSupported, "too many runs for the connectivity analysis");
  std::vector<Run> runs(nruns);
  parallel_for(rows, 256, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const uint8_t* row = labels + r * nx;
      int64_t k = start[r];
      int64_t x = 0;
      while (x < nx) {
        if (row[x] != phase) {
          ++x;
          continue;
        }
        const int64_t s = x;
        while (x < nx && row[x] == phase) ++x;
        runs[k++] = {int32_t(s), int32_t(x)};
      }
    }
  });
  if (p.cancelled()) return aborted();
  p.report(0.2);

  std::vector<int32_t> parent(nruns);
  std::iota(parent.begin(), parent.end(), 0);
  auto link = [&](int64_t ra, int64_t rb) {  // overlapping runs of rows ra and rb
    int64_t i = start[ra], ie = start[ra + 1], j = start[rb], je = start[rb + 1];
    while (i < ie && j < je) {
      if (runs[i].x0 < runs[j].x1 && runs[j].x0 < runs[i].x1) unite(parent, int32_t(i), int32_t(j));
      if (runs[i].x1 < runs[j].x1) ++i;
      else ++j;
    }
  };
  // Slabs: whole slices in 3D, rows in 2D; `unit` rows per slab step, `back` = row offset of the z (or y) link.
  const bool two_d = g.is2d();
  const int64_t units = two_d ? ny : nz;
  const int64_t unit_rows = two_d ? 1 : ny;
  std::vector<int64_t> slab_starts;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::vector<uint8_t> is_start(units, 0);
  parallel_for(units, 1, [&](int64_t lo, int64_t hi) {
    if (stop || p.cancelled()) {
      stop = true;
      return;
    }
    is_start[lo] = 1;
    for (int64_t u = lo; u < hi; ++u) {
      for (int64_t k = 0; k < unit_rows; ++k) {
        const int64_t r = u * unit_rows + k;
        if (!two_d && k > 0) link(r, r - 1);        // y - 1 inside the slice
        if (u > lo) link(r, r - unit_rows);         // z - 1 (2D: y - 1) inside the slab
      }
    }
    p.report(0.2 + 0.6 * double(done.fetch_add(hi - lo) + (hi - lo)) / double(units));
  });
  if (stop) return aborted();
  for (int64_t u = 1; u < units; ++u)
    if (is_start[u])
      for (int64_t k = 0; k < unit_rows; ++k) link(u * unit_rows + k, u * unit_rows + k - unit_rows);
  // Flatten (parent[i] <= i), then sizes and face contacts per component.
  std::vector<int32_t> comp(nruns);
  int64_t ncomp = 0;
  for (int64_t i = 0; i < nruns; ++i) {
    parent[i] = parent[parent[i]];
    comp[i] = parent[i] == i ? int32_t(ncomp++) : comp[parent[i]];
  }
  std::vector<int64_t> size(ncomp, 0);
  std::vector<uint8_t> touch(ncomp, 0);  // bits: x lo, x hi, y lo, y hi, z lo, z hi
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t z = r / ny, y = r % ny;
    uint8_t face = (y == 0 ? 4 : 0) | (y == ny - 1 ? 8 : 0) | (z == 0 ? 16 : 0) | (z == nz - 1 ? 32 : 0);
    for (int64_t i = start[r]; i < start[r + 1]; ++i) {
      const int32_t c = comp[i];
      size[c] += runs[i].x1 - runs[i].x0;
      touch[c] |= face | (runs[i].x0 == 0 ? 1 : 0) | (runs[i].x1 == nx ? 2 : 0);
    }
  }
  out->components = ncomp;
  out->largest = *std::max_element(size.begin(), size.end());
  for (int64_t c = 0; c < ncomp; ++c)
    for (int axis = 0; axis < 3; ++axis)
      if ((touch[c] >> (2 * axis) & 3) == 3) out->percolates[axis] = true;
  p.report(1.0);
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
