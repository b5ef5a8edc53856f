// Euler characteristic of the phase taken as a union of closed unit cubes (squares in 2D): V - E + F - C of the
// cubical complex, each lattice vertex owning the edges, faces and cube that start at it in +x, +y, +z. A lookup
// table over the 2x2x2 voxels around a vertex gives its share; voxels outside the volume count as complement.
#include <atomic>
#include <mutex>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

namespace {

// Bit dx + 2 dy + 4 dz = voxel (x - 1 + dx, y - 1 + dy, z - 1 + dz) is in the phase.
struct EulerLut {
  int8_t v3[256], v2[16];
  EulerLut() {
    auto bit = [](int cfg, int dx, int dy, int dz) { return (cfg >> (dx + 2 * dy + 4 * dz)) & 1; };
    for (int c = 0; c < 256; ++c) {
      int V = c != 0;
      int E = (bit(c, 1, 0, 0) | bit(c, 1, 1, 0) | bit(c, 1, 0, 1) | bit(c, 1, 1, 1)) +
              (bit(c, 0, 1, 0) | bit(c, 1, 1, 0) | bit(c, 0, 1, 1) | bit(c, 1, 1, 1)) +
              (bit(c, 0, 0, 1) | bit(c, 1, 0, 1) | bit(c, 0, 1, 1) | bit(c, 1, 1, 1));
      int F = (bit(c, 1, 1, 0) | bit(c, 1, 1, 1)) + (bit(c, 1, 0, 1) | bit(c, 1, 1, 1)) +
              (bit(c, 0, 1, 1) | bit(c, 1, 1, 1));
      int C = bit(c, 1, 1, 1);
      v3[c] = int8_t(V - E + F - C);
    }
    for (int c = 0; c < 16; ++c) {
      int V = c != 0;
      int E = (bit(c, 1, 0, 0) | bit(c, 1, 1, 0)) + (bit(c, 0, 1, 0) | bit(c, 1, 1, 0));
      int F = bit(c, 1, 1, 0);
      v2[c] = int8_t(V - E + F);
    }
  }
};

}  // namespace

int64_t euler_characteristic(const uint8_t* labels, Grid g, uint8_t phase) {
  static const EulerLut lut;
  const int64_t nx = g.nx, ny = g.ny, nz = g.nz;
  auto in = [&](int64_t z, int64_t y, int64_t x) -> int {
    if (z < 0 || y < 0 || x < 0 || z >= nz || y >= ny || x >= nx) return 0;
    return labels[(z * ny + y) * nx + x] == phase;
  };
  std::atomic<int64_t> total{0};
  const bool two_d = g.is2d();
  parallel_for(two_d ? 1 : nz + 1, 1, [&](int64_t lo, int64_t hi) {
    int64_t sum = 0;
    for (int64_t z = lo; z < hi; ++z) {
      for (int64_t y = 0; y <= ny; ++y) {
        int prev = 0;  // bits of the column x - 1 (dx = 0): dy + 2 dz
        for (int64_t x = 0; x <= nx; ++x) {
          int cur;
          if (two_d) {
            cur = in(0, y - 1, x) | in(0, y, x) << 1;
            const int cfg = (prev & 1) | (cur & 1) << 1 | (prev >> 1 & 1) << 2 | (cur >> 1 & 1) << 3;
            sum += lut.v2[cfg];
          } else {
            cur = in(z - 1, y - 1, x) | in(z - 1, y, x) << 1 | in(z, y - 1, x) << 2 | in(z, y, x) << 3;
            // cur/prev bit (dy + 2 dz); cfg bit dx + 2 dy + 4 dz
            const int cfg = (prev & 1) | (cur & 1) << 1 | (prev >> 1 & 1) << 2 | (cur >> 1 & 1) << 3 |
                            (prev >> 2 & 1) << 4 | (cur >> 2 & 1) << 5 | (prev >> 3 & 1) << 6 | (cur >> 3 & 1) << 7;
            sum += lut.v3[cfg];
          }
          prev = cur;
        }
      }
    }
    total += sum;  // integer
  });
  return total.load();
}

}  // namespace stats
}  // namespace mr
