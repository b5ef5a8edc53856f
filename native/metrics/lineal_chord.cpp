// Lineal path and chord lengths from the runs of the phase along each axis. A run of length l holds max(0, l - r)
// segments of lag r (r + 1 voxels), so L(r) = sum_l H[l] max(0, l - r) / (lines (n - r)) over all runs H, with
// L(0) = phi. Chords are the runs that touch neither face normal to the axis (their true length is unknown), the
// PoreSpy convention; the number of runs left out is reported.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

struct Hist {
  std::vector<int64_t> all, inner;
  int64_t boundary = 0;
  explicit Hist(int64_t n) : all(n + 1, 0), inner(n + 1, 0) {}
  void add(int64_t len, int64_t start, int64_t n) {
    ++all[len];
    if (start == 0 || start + len == n) ++boundary;
    else ++inner[len];
  }
  void merge(const Hist& o) {
    for (size_t i = 0; i < all.size(); ++i) all[i] += o.all[i], inner[i] += o.inner[i];
    boundary += o.boundary;
  }
};

}  // namespace

Status lineal_chord(const uint8_t* labels, Grid g, uint8_t phase, const std::array<int64_t, 3>& max_lag,
                    std::array<AxisRuns, 3>* out, const Progress& p) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  std::atomic<bool> stop{false};
  for (int axis = 0; axis < 3; ++axis) {
    AxisRuns& res = (*out)[axis];
    res = AxisRuns{};
    const int64_t n = g.extent(axis);
    const int64_t lag = std::min(max_lag[axis], n - 1);
    if (lag < 0) continue;
    Hist total(n);
    std::mutex mu;
    // axis x: rows; axis y: slices (run state per column); axis z: rows y (run state per x, walking z).
    const int64_t items = axis == 0 ? nz * ny : axis == 1 ? nz : ny;
    parallel_for(items, axis == 0 ? 256 : 1, [&](int64_t lo, int64_t hi) {
      if (stop || p.cancelled()) {
        stop = true;
        return;
      }
      Hist h(n);
      if (axis == 0) {
        for (int64_t row = lo; row < hi; ++row) {
          const uint8_t* r = labels + row * nx;
          int64_t x = 0;
          while (x < nx) {
            if (r[x] != phase) {
              ++x;
              continue;
            }
            const int64_t s = x;
            while (x < nx && r[x] == phase) ++x;
            h.add(x - s, s, nx);
          }
        }
      } else {
        std::vector<int64_t> cur(nx);
        for (int64_t item = lo; item < hi; ++item) {
          std::fill(cur.begin(), cur.end(), 0);
          for (int64_t i = 0; i < n; ++i) {
            const uint8_t* r = axis == 1 ? labels + (item * ny + i) * nx : labels + (i * ny + item) * nx;
            for (int64_t x = 0; x < nx; ++x) {
              if (r[x] == phase) {
                ++cur[x];
              } else if (cur[x] > 0) {
                h.add(cur[x], i - cur[x], n);
                cur[x] = 0;
              }
            }
          }
          for (int64_t x = 0; x < nx; ++x)
            if (cur[x] > 0) h.add(cur[x], n - cur[x], n);
        }
      }
      std::lock_guard<std::mutex> lk(mu);  // integer sums
      total.merge(h);
    });
    if (stop) return aborted();
    const int64_t lines = g.size() / n;
    res.lineal.resize(lag + 1);
    for (int64_t r = 0; r <= lag; ++r) {
      int64_t segments = 0;
      for (int64_t l = r + 1; l <= n; ++l) segments += total.all[l] * (l - r);
      res.lineal[r] = double(segments) / double(lines * (n - r));
    }
    int64_t last = 0, count = 0, length = 0;
    for (int64_t l = 1; l <= n; ++l)
      if (total.inner[l]) last = l, count += total.inner[l], length += total.inner[l] * l;
    res.chords.assign(total.inner.begin(), total.inner.begin() + last + 1);
    res.chord_count = count;
    res.boundary_runs = total.boundary;
    res.mean_chord = count ? double(length) / double(count) : 0.0;
    p.report(double(axis + 1) / 3.0);
  }
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
