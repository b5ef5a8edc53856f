#include "metrics/transport_grid.h"

#include <algorithm>
#include <numeric>

#include "core/parallel.h"

namespace mr {
namespace transport {

void for_blocks(int64_t n, int64_t block, const std::function<void(int64_t, int64_t, int64_t)>& fn) {
  const int64_t nb = num_blocks(n, block);
  parallel_for(nb, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) fn(b, b * block, std::min(n, (b + 1) * block));
  });
}

double ordered_sum(const std::vector<double>& partials) {
  double s = 0;
  for (double v : partials) s += v;
  return s;
}

int64_t build_axis_mask(const LabelVolume& vol, int label, int axis, int64_t pad, AxisMask* out) {
  const int64_t nz = vol.nz, ny = vol.ny, nx = vol.nx;
  // Output axes: (axis, the other two in order).
  int64_t dims[3] = {nz, ny, nx};
  int o1 = axis == 0 ? 1 : 0, o2 = axis == 2 ? 1 : 2;
  out->n0 = dims[axis] + 2 * pad;
  out->n1 = dims[o1];
  out->n2 = dims[o2];
  const int64_t n1 = out->n1, n2 = out->n2, plane = n1 * n2;
  out->m.assign(static_cast<size_t>(out->n0 * plane), 0);
  uint8_t* m = out->m.data();
  std::fill(m, m + pad * plane, uint8_t(1));
  std::fill(m + (pad + dims[axis]) * plane, m + out->n0 * plane, uint8_t(1));
  const int64_t stride[3] = {ny * nx, nx, 1};
  const int64_t s0 = stride[axis], s1 = stride[o1], s2 = stride[o2];
  const uint8_t* lab = vol.labels;
  const uint8_t L = static_cast<uint8_t>(label);
  const int64_t rows = dims[axis] * n1;
  std::vector<double> counts(num_blocks(rows, 64), 0.0);
  for_blocks(rows, 64, [&](int64_t blk, int64_t lo, int64_t hi) {
    int64_t c = 0;
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t a = r / n1, b = r % n1;
      const uint8_t* src = lab + a * s0 + b * s1;
      uint8_t* dst = m + (a + pad) * plane + b * n2;
      if (s2 == 1) {
        for (int64_t k = 0; k < n2; ++k) c += (dst[k] = src[k] == L);
      } else {
        for (int64_t k = 0; k < n2; ++k) c += (dst[k] = src[k * s2] == L);
      }
    }
    counts[blk] = static_cast<double>(c);
  });
  return static_cast<int64_t>(ordered_sum(counts));
}

namespace {

struct Runs {
  std::vector<int64_t> row_start;  // per row of [lo, hi) planes
  std::vector<int32_t> s, e;       // run [s, e)
};

inline int32_t find(std::vector<int32_t>& p, int32_t i) {
  while (p[i] != i) {
    p[i] = p[p[i]];
    i = p[i];
  }
  return i;
}

inline void unite(std::vector<int32_t>& p, int32_t a, int32_t b) {
  a = find(p, a);
  b = find(p, b);
  if (a == b) return;
  if (a < b) p[b] = a;  // the smaller index is the root: parent[i] <= i, so one ordered pass flattens
  else p[a] = b;
}

// Unites the runs of two rows whose x-ranges overlap after widening by d (0: shared faces, 1: also edges).
void unite_rows(const Runs& R, std::vector<int32_t>& p, int64_t ra, int64_t rb, int d) {
  int64_t i = R.row_start[ra], ie = R.row_start[ra + 1];
  int64_t j = R.row_start[rb], je = R.row_start[rb + 1];
  while (i < ie && j < je) {
    if (R.s[i] < R.e[j] + d && R.s[j] < R.e[i] + d) unite(p, static_cast<int32_t>(i), static_cast<int32_t>(j));
    // advance the run that ends first
    if (R.e[i] < R.e[j]) ++i;
    else ++j;
  }
}

}  // namespace

int64_t keep_spanning(AxisMask* mask, int64_t lo, int64_t hi, int connectivity) {
  const int64_t n1 = mask->n1, n2 = mask->n2, plane = n1 * n2;
  const int64_t nrows = (hi - lo) * n1;
  uint8_t* m = mask->m.data() + lo * plane;
  Runs R;
  R.row_start.assign(static_cast<size_t>(nrows + 1), 0);
  parallel_for(nrows, 256, [&](int64_t a, int64_t b) {
    for (int64_t r = a; r < b; ++r) {
      const uint8_t* row = m + r * n2;
      int64_t c = 0;
      for (int64_t k = 0; k < n2; ++k) c += row[k] && (k == 0 || !row[k - 1]);
      R.row_start[r + 1] = c;
    }
  });
  for (int64_t r = 0; r < nrows; ++r) R.row_start[r + 1] += R.row_start[r];
  const int64_t nruns = R.row_start[nrows];
  if (nruns >= (int64_t(1) << 31) - 1) {
    // Cannot happen for volumes under 2^31 voxels; keep everything rather than overflow.
    return -1;
  }
  R.s.resize(nruns);
  R.e.resize(nruns);
  parallel_for(nrows, 256, [&](int64_t a, int64_t b) {
    for (int64_t r = a; r < b; ++r) {
      const uint8_t* row = m + r * n2;
      int64_t q = R.row_start[r];
      for (int64_t k = 0; k < n2; ++k) {
        if (row[k] && (k == 0 || !row[k - 1])) R.s[q] = static_cast<int32_t>(k);
        if (row[k] && (k == n2 - 1 || !row[k + 1])) R.e[q++] = static_cast<int32_t>(k + 1);
      }
    }
  });
  std::vector<int32_t> parent(nruns);
  std::iota(parent.begin(), parent.end(), 0);
  const int d_same = connectivity == 18 ? 1 : 0;
  for (int64_t r = 0; r < nrows; ++r) {
    const int64_t a = r / n1, b = r % n1;
    if (b > 0) unite_rows(R, parent, r, r - 1, d_same);
    if (a > 0) {
      unite_rows(R, parent, r, r - n1, d_same);
      if (connectivity == 18) {
        if (b > 0) unite_rows(R, parent, r, r - n1 - 1, 0);
        if (b < n1 - 1) unite_rows(R, parent, r, r - n1 + 1, 0);
      }
    }
  }
  std::vector<uint8_t> touch(nruns, 0);
  for (int64_t i = 0; i < nruns; ++i) parent[i] = parent[parent[i]];  // parent[i] <= i: one pass flattens
  const int64_t nplanes = hi - lo;
  for (int64_t r = 0; r < n1; ++r)
    for (int64_t i = R.row_start[r]; i < R.row_start[r + 1]; ++i) touch[parent[i]] |= 1;
  for (int64_t r = (nplanes - 1) * n1; r < nrows; ++r)
    for (int64_t i = R.row_start[r]; i < R.row_start[r + 1]; ++i) touch[parent[i]] |= 2;
  std::vector<double> kept(num_blocks(nrows, 256), 0.0);
  for_blocks(nrows, 256, [&](int64_t blk, int64_t a, int64_t b) {
    int64_t c = 0;
    for (int64_t r = a; r < b; ++r) {
      uint8_t* row = m + r * n2;
      for (int64_t i = R.row_start[r]; i < R.row_start[r + 1]; ++i) {
        if (touch[parent[i]] == 3) c += R.e[i] - R.s[i];
        else std::fill(row + R.s[i], row + R.e[i], uint8_t(0));
      }
    }
    kept[blk] = static_cast<double>(c);
  });
  return static_cast<int64_t>(ordered_sum(kept));
}

}  // namespace transport
}  // namespace mr
