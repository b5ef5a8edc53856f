// Local thickness (Hildebrand & Ruegsegger 1997) from the exact squared distance transform d2: the ball of centre
// c is B(c) = {p : |p - c|^2 < d2(c)} (the voxels nearer to c than its nearest wall voxel), and a voxel's
// thickness is the diameter 2 sqrt(d2) - 1 of the largest such ball holding it (a slab t voxels thick reads t for
// odd t, t - 1 for even t). Balls contained in a neighbour's ball (sqrt(d2n) >= sqrt(d2c) + |n - c|, tested in
// exact integers) are skipped; the rest (the distance ridge) are painted with a max, each thread owning a range of
// z planes so that no two threads write the same voxel. The result equals the brute-force definition.
#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

struct Centre {
  int32_t y, x;
  uint32_t e;  // d2
};

// B(c) inside B(n) for |n - c|^2 = k: sqrt(en) >= sqrt(ec) + sqrt(k).
inline bool contained(uint64_t ec, uint64_t en, uint64_t k) {
  if (en < ec + k) return false;
  const unsigned __int128 lhs = en - ec - k;
  return lhs * lhs >= (unsigned __int128)(4) * ec * k;
}

inline int64_t isqrt(int64_t m) {  // floor(sqrt(m)), m >= 0
  int64_t r = static_cast<int64_t>(std::sqrt(double(m)));
  while (r * r > m) --r;
  while ((r + 1) * (r + 1) <= m) ++r;
  return r;
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
                if (en > e && contained(e, en, uint64_t(dx * dx + dy * dy + dz * dz))) {
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

  // Paint: t2[p] = max d2(c) over ridge balls holding p (reusing d2's storage is not possible: it is read above).
  std::vector<uint32_t> t2(g.size(), 0);
  std::atomic<int64_t> done{0};
  std::vector<double> plane_sum(nz, 0.0);
  std::vector<std::vector<int64_t>> plane_hist(nz);
  parallel_for(nz, 1, [&](int64_t z0, int64_t z1) {
    if (stop || p.cancelled()) {
      stop = true;
      return;
    }
    for (int64_t cz = std::max<int64_t>(0, z0 - reach); cz < std::min(nz, z1 + reach); ++cz) {
      for (const Centre& c : ridge[cz]) {
        const int64_t e1 = int64_t(c.e) - 1;  // |p - c|^2 <= e1
        const int64_t h = isqrt(e1);
        const int64_t za = std::max(z0, cz - h), zb = std::min(z1 - 1, cz + h);
        for (int64_t z = za; z <= zb; ++z) {
          const int64_t rz = e1 - (z - cz) * (z - cz);
          const int64_t hy = isqrt(rz);
          const int64_t ya = std::max<int64_t>(0, c.y - hy), yb = std::min<int64_t>(ny - 1, c.y + hy);
          for (int64_t y = ya; y <= yb; ++y) {
            const int64_t hx = isqrt(rz - (y - c.y) * (y - c.y));
            const int64_t xa = std::max<int64_t>(0, c.x - hx), xb = std::min<int64_t>(nx - 1, c.x + hx);
            uint32_t* row = t2.data() + (z * ny + y) * nx;
            for (int64_t x = xa; x <= xb; ++x) row[x] = std::max(row[x], c.e);
          }
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
