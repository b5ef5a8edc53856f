// Local thickness (Hildebrand & Ruegsegger 1997) from the exact squared distance transform d2: the ball of centre
// c is B(c) = {p : |p - c|^2 < d2(c)} (the voxels nearer to c than its nearest wall voxel), and a voxel's
// thickness is the diameter 2 sqrt(d2) - 1 of the largest such ball holding it (a slab t voxels thick reads t for
// odd t, t - 1 for even t). A ball whose voxels all lie in a 26-neighbour's ball is skipped (its voxels get at
// least the neighbour's larger value): B_e(c) is inside B_f(c + d) iff f > max_{|p|^2 < e} |p - d|^2, tabulated
// per e for the three neighbour classes (face, edge, corner); beyond the table the continuous criterion
// sqrt(f) >= sqrt(e) + |d| (weaker, still safe) is used. The remaining centres are painted with a max, row runs
// from a per-e table, each thread owning a range of z planes so that no two threads write the same voxel. The
// result equals the brute-force definition (native/tests/metrics_check.cpp compares them).
#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

struct Row {
  int32_t dz, dy, hx;
};

struct Ball {
  std::vector<Row> rows;          // by dz ascending
  std::vector<int32_t> dz_start;  // rows of dz = k - h start at dz_start[k]; size 2h + 2
};

struct Centre {
  int32_t y, x;
  uint32_t e;  // d2
};

// need[t][e] = smallest f such that B_e(0) lies inside B_f(d_t), d_0 = (1,0,0), d_1 = (1,1,0), d_2 = (1,1,1);
// for e <= cap.
struct ContainTable {
  int64_t cap = 0;
  std::vector<int64_t> need[3];
  explicit ContainTable(int64_t emax) {
    cap = std::min<int64_t>(emax, 65536);
    const int64_t r = static_cast<int64_t>(std::ceil(std::sqrt(double(cap)))) + 1;
    // g[t][s] = max of -p . d_t over lattice points with |p|^2 = s (INT64_MIN when there is none).
    std::vector<int64_t> g[3];
    for (auto& v : g) v.assign(cap + 1, INT64_MIN);
    for (int64_t z = -r; z <= r; ++z)
      for (int64_t y = -r; y <= r; ++y)
        for (int64_t x = -r; x <= r; ++x) {
          const int64_t s = x * x + y * y + z * z;
          if (s > cap) continue;
          const int64_t dot[3] = {-x, -x - y, -x - y - z};
          for (int t = 0; t < 3; ++t) g[t][s] = std::max(g[t][s], dot[t]);
        }
    for (int t = 0; t < 3; ++t) {
      need[t].assign(cap + 1, 0);
      int64_t best = INT64_MIN;  // max over s < e of s + 2 g(s)
      for (int64_t e = 1; e <= cap; ++e) {
        if (g[t][e - 1] != INT64_MIN) best = std::max(best, (e - 1) + 2 * g[t][e - 1]);
        need[t][e] = best + (t + 1) + 1;
      }
    }
  }
  bool contained(uint64_t e, uint64_t f, int cls) const {  // cls = |d|^2 - 1
    if (int64_t(e) <= cap) return int64_t(f) >= need[cls][e];
    if (f < e + cls + 1) return false;
    const unsigned __int128 lhs = f - e - (cls + 1);
    return lhs * lhs >= (unsigned __int128)(4) * e * (cls + 1);
  }
};

inline int64_t isqrt(int64_t m) {  // floor(sqrt(m)), m >= 0
  int64_t r = static_cast<int64_t>(std::sqrt(double(m)));
  while (r * r > m) --r;
  while ((r + 1) * (r + 1) <= m) ++r;
  return r;
}

void make_ball(uint32_t e, Ball* b) {
  b->rows.clear();
  b->dz_start.clear();
  const int64_t e1 = int64_t(e) - 1, h = isqrt(e1);
  for (int64_t dz = -h; dz <= h; ++dz) {
    b->dz_start.push_back(int32_t(b->rows.size()));
    const int64_t hy = isqrt(e1 - dz * dz);
    for (int64_t dy = -hy; dy <= hy; ++dy)
      b->rows.push_back({int32_t(dz), int32_t(dy), int32_t(isqrt(e1 - dz * dz - dy * dy))});
  }
  b->dz_start.push_back(int32_t(b->rows.size()));
}

}  // namespace

Status local_thickness(const uint8_t* labels, Grid g, uint8_t phase, Thickness* out, const Progress& p) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  *out = Thickness{};
  std::vector<uint32_t> d2;
  MR_RETURN_IF_ERROR(squared_edt(labels, g, phase, &d2, p.sub(0, 0.4)));
  int64_t first = 0;
  while (first < g.size() && labels[first] != phase) ++first;
  if (first == g.size() || d2[first] == kNoBackground) return Status::Ok();  // no phase, or no wall: undefined
  out->defined = true;

  uint32_t dmax = 0;
  for (int64_t i = 0; i < g.size(); ++i) dmax = std::max(dmax, d2[i]);
  const ContainTable table(dmax);
  // Ridge centres per z plane.
  std::vector<std::vector<Centre>> ridge(nz);
  std::atomic<bool> stop{false};
  parallel_for(nz, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t z = lo; z < hi; ++z) {
      if (stop || p.cancelled()) {
        stop = true;
        return;
      }
      for (int64_t y = 0; y < ny; ++y)
        for (int64_t x = 0; x < nx; ++x) {
          const uint32_t e = d2[(z * ny + y) * nx + x];
          if (e == 0) continue;
          bool keep = true;
          for (int dz = -1; dz <= 1 && keep; ++dz) {
            const int64_t zz = z + dz;
            if (zz < 0 || zz >= nz) continue;
            for (int dy = -1; dy <= 1 && keep; ++dy) {
              const int64_t yy = y + dy;
              if (yy < 0 || yy >= ny) continue;
              for (int dx = -1; dx <= 1; ++dx) {
                const int64_t xx = x + dx;
                if (xx < 0 || xx >= nx || (dx | dy | dz) == 0) continue;
                const uint32_t en = d2[(zz * ny + yy) * nx + xx];
                if (en > e && table.contained(e, en, dx * dx + dy * dy + dz * dz - 1)) {
                  keep = false;
                  break;
                }
              }
            }
          }
          if (keep) ridge[z].push_back({int32_t(y), int32_t(x), e});
        }
    }
  });
  if (stop) return aborted();
  p.report(0.5);
  uint32_t emax = 0;
  for (auto& plane : ridge)
    for (auto& c : plane) emax = std::max(emax, c.e);
  const int64_t reach = isqrt(int64_t(emax) - 1);

  // Row runs of each ball size present: B_e = rows (dz, dy) with |x| <= hx, grouped by dz; tabulated for
  // e <= kRowCap (at most ~16 MB), made per ball above that.
  constexpr uint32_t kRowCap = 1024;
  std::vector<Ball> balls(std::min(emax, kRowCap) + 1);
  for (auto& plane : ridge)
    for (auto& c : plane)
      if (c.e <= kRowCap && balls[c.e].rows.empty()) make_ball(c.e, &balls[c.e]);

  // Paint: t2[p] = max d2(c) over ridge balls holding p (in d2's storage: the ridge list has what is needed).
  std::vector<uint32_t> t2 = std::move(d2);
  std::fill(t2.begin(), t2.end(), 0u);
  std::atomic<int64_t> done{0};
  std::vector<double> plane_sum(nz, 0.0);
  std::vector<std::vector<int64_t>> plane_hist(nz);
  parallel_for(nz, 1, [&](int64_t z0, int64_t z1) {
    if (stop || p.cancelled()) {
      stop = true;
      return;
    }
    Ball big;
    for (int64_t cz = std::max<int64_t>(0, z0 - reach); cz < std::min(nz, z1 + reach); ++cz) {
      for (const Centre& c : ridge[cz]) {
        const int64_t h = isqrt(int64_t(c.e) - 1);
        const int64_t da = std::max(-h, z0 - cz), db = std::min(h, z1 - 1 - cz);  // dz range in this slab
        if (da > db) continue;
        if (c.e > kRowCap) make_ball(c.e, &big);
        const Ball& b = c.e > kRowCap ? big : balls[c.e];
        for (int32_t i = b.dz_start[da + h]; i < b.dz_start[db + h + 1]; ++i) {
          const Row& r = b.rows[i];
          const int64_t y = c.y + r.dy;
          if (y < 0 || y >= ny) continue;
          const int64_t xa = std::max<int64_t>(0, c.x - r.hx), xb = std::min<int64_t>(nx - 1, c.x + r.hx);
          uint32_t* row = t2.data() + ((cz + r.dz) * ny + y) * nx;
          for (int64_t x = xa; x <= xb; ++x) row[x] = std::max(row[x], c.e);
        }
      }
    }
    // Histogram and sums of the planes this thread owns.
    for (int64_t z = z0; z < z1; ++z) {
      std::vector<int64_t>& h = plane_hist[z];
      double s = 0;
      const uint32_t* t = t2.data() + z * ny * nx;
      const uint8_t* l = labels + z * ny * nx;
      for (int64_t i = 0; i < ny * nx; ++i) {
        if (l[i] != phase) continue;
        const double dia = 2.0 * std::sqrt(double(t[i])) - 1.0;
        const size_t bin = static_cast<size_t>(std::floor(dia + 0.5));
        if (h.size() <= bin) h.resize(bin + 1, 0);
        ++h[bin];
        s += dia;
      }
      plane_sum[z] = s;
    }
    p.report(0.5 + 0.5 * double(done.fetch_add(z1 - z0) + (z1 - z0)) / double(nz));
  });
  if (stop) return aborted();
  double sum = 0;
  int64_t count = 0;
  for (int64_t z = 0; z < nz; ++z) {
    sum += plane_sum[z];
    auto& h = plane_hist[z];
    if (out->counts.size() < h.size()) out->counts.resize(h.size(), 0);
    for (size_t b = 0; b < h.size(); ++b) out->counts[b] += h[b], count += h[b];
  }
  out->mean = count ? sum / double(count) : 0.0;
  out->max = 2.0 * std::sqrt(double(emax)) - 1.0;
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
