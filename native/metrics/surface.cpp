// Surface area (3D) or perimeter (2D) of a phase: voxel faces between the phase and other labels, and the binary
// marching-cubes (marching-squares) surface at level 0.5 over the cells between voxel centres, so nothing is
// added where the phase meets the volume's faces. The mesh area comes from the histogram of cell configurations.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>

#include "core/parallel.h"
#include "metrics/mc_tables.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

// Expected mesh area of one cell configuration sequence per unit area of a plane with normal n: the corners below
// the plane (c . n < s) form the configuration; integrating over the offset s gives the mean over positions.
double plane_mesh_area(const double* n, bool two_d) {
  const int corners = two_d ? 4 : 8;
  static const int c3[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
  double t[8];
  int order[8];
  for (int i = 0; i < corners; ++i) {
    t[i] = c3[i][0] * n[0] + c3[i][1] * n[1] + c3[i][2] * n[2];
    order[i] = i;
  }
  std::sort(order, order + corners, [&](int a, int b) { return t[a] < t[b]; });
  const MeshCase* cases = two_d ? ms_cases() : mc_cases();
  double area = 0;
  int cfg = 0;
  for (int i = 0; i + 1 < corners; ++i) {
    cfg |= 1 << order[i];
    area += (t[order[i + 1]] - t[order[i]]) * cases[cfg].area;
  }
  return area;
}

double compute_bias(bool two_d) {
  const int n = 200000;
  double sum = 0;
  if (two_d) {
    for (int i = 0; i < n; ++i) {
      const double a = 3.14159265358979323846 * (i + 0.5) / n;
      const double v[3] = {std::cos(a), std::sin(a), 0};
      sum += plane_mesh_area(v, true);
    }
  } else {
    const double golden = 3.14159265358979323846 * (3 - std::sqrt(5.0));
    for (int i = 0; i < n; ++i) {
      const double z = 1 - (2 * i + 1.0) / n, r = std::sqrt(1 - z * z);
      const double v[3] = {r * std::cos(golden * i), r * std::sin(golden * i), z};
      sum += plane_mesh_area(v, false);
    }
  }
  return sum / n;
}

// Case of a cell from the 4-bit column codes (bit 0: (y, z), 1: (y+1, z), 2: (y, z+1), 3: (y+1, z+1)) at x, x+1.
struct CaseLut {
  uint8_t v[256];
  CaseLut() {
    for (int i = 0; i < 256; ++i) {
      const int l = i & 15, r = i >> 4;
      v[i] = uint8_t((l & 1) | (r & 1) << 1 | ((r >> 1) & 1) << 2 | ((l >> 1) & 1) << 3 | ((l >> 2) & 1) << 4 |
                     ((r >> 2) & 1) << 5 | ((r >> 3) & 1) << 6 | ((l >> 3) & 1) << 7);
    }
  }
};

}  // namespace

double mesh_bias(bool two_d) {
  static const double b3 = compute_bias(false);
  static const double b2 = compute_bias(true);
  return two_d ? b2 : b3;
}

Status surface(const uint8_t* labels, Grid g, uint8_t phase, Surface* out, const Progress& p) {
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  const bool two_d = g.is2d();
  const int ncases = two_d ? 16 : 256;
  static const CaseLut lut;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  int64_t faces = 0;
  std::vector<int64_t> cases(ncases, 0);
  std::mutex mu;
  parallel_for(nz, 1, [&](int64_t lo, int64_t hi) {
    int64_t f = 0;
    std::vector<int64_t> c(ncases, 0);
    std::vector<uint8_t> col(nx);
    for (int64_t z = lo; z < hi; ++z) {
      if (stop || p.cancelled()) {
        stop = true;
        return;
      }
      const uint8_t* s0 = labels + z * ny * nx;
      const uint8_t* s1 = z + 1 < nz ? s0 + ny * nx : nullptr;
      for (int64_t y = 0; y < ny; ++y) {
        const uint8_t* r = s0 + y * nx;
        const uint8_t* ry = y + 1 < ny ? r + nx : nullptr;
        const uint8_t* rz = s1 ? s1 + y * nx : nullptr;
        for (int64_t x = 0; x < nx; ++x) {
          const bool a = r[x] == phase;
          if (x + 1 < nx) f += a != (r[x + 1] == phase);
          if (ry) f += a != (ry[x] == phase);
          if (rz) f += a != (rz[x] == phase);
        }
        if (!ry) continue;
        if (two_d) {
          for (int64_t x = 0; x + 1 < nx; ++x) {
            const int cfg = (r[x] == phase) | (r[x + 1] == phase) << 1 | (ry[x + 1] == phase) << 2 |
                            (ry[x] == phase) << 3;
            ++c[cfg];
          }
        } else if (rz) {
          const uint8_t* rzy = rz + nx;
          for (int64_t x = 0; x < nx; ++x)
            col[x] = uint8_t((r[x] == phase) | (ry[x] == phase) << 1 | (rz[x] == phase) << 2 | (rzy[x] == phase) << 3);
          for (int64_t x = 0; x + 1 < nx; ++x) ++c[lut.v[col[x] | col[x + 1] << 4]];
        }
      }
      p.report(double(done.fetch_add(1) + 1) / double(nz));
    }
    std::lock_guard<std::mutex> lk(mu);  // integer sums
    faces += f;
    for (int i = 0; i < ncases; ++i) cases[i] += c[i];
  });
  if (stop) return aborted();
  const MeshCase* table = two_d ? ms_cases() : mc_cases();
  out->faces = faces;
  out->mesh = 0;
  for (int i = 0; i < ncases; ++i) out->mesh += double(cases[i]) * table[i].area;
  out->mesh_corrected = out->mesh / mesh_bias(two_d);
  out->cases = std::move(cases);
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
