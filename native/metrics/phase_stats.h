// All statistics of one phase in one call (what `evaluate` needs per phase), sharing intermediate results:
// anisotropy reuses the surface's case histogram and the directional S2.
#pragma once
#include "metrics/stats.h"

namespace mr {
namespace stats {

enum Metric : uint32_t {
  kTwoPoint = 1,       // directional S2
  kRadial = 2,         // radially averaged S2 (FFT)
  kLinealChord = 4,    // lineal path and chord lengths
  kSurface = 8,        // face count and marching cubes
  kConnectivity = 16,  // components, percolation, Euler characteristic
  kThickness = 32,     // local thickness
  kAnisotropy = 64,    // MIL fabric, correlation lengths, isotropy (computes kTwoPoint and kSurface)
  kAllMetrics = 127,
};

struct PhaseStatsOptions {
  uint32_t metrics = kAllMetrics;
  std::array<int64_t, 3> max_lag{100, 100, 100};  // per axis (x, y, z); clipped to extent - 1
  int64_t radial_max = -1;                        // < 0: floor(min extent / 2) over the axes longer than 1
  int directions = 0;                             // MIL test directions (at least 64 in 3D, 36 in 2D)
};

// Isotropy rule: DA < kIsotropicDA and the largest over the smallest S2 correlation length < kIsotropicRatio.
constexpr double kIsotropicDA = 0.1;
constexpr double kIsotropicRatio = 1.25;

struct PhaseStats {
  uint32_t computed = 0;  // metrics present below
  int64_t phase_voxels = 0;
  double fraction = 0;
  std::array<std::vector<double>, 3> s2;
  RadialS2 radial;
  std::array<AxisRuns, 3> runs;
  Surface surface;
  Connectivity conn;
  int64_t euler = 0;
  Thickness thickness;
  Fabric fabric;
  std::array<double, 3> corr_length{-1, -1, -1};  // < 0: undefined (axis of extent 1, no decay, phi 0 or 1)
  int isotropic = -1;                             // 1, 0, or -1 = undefined
};

Status phase_stats(const uint8_t* labels, Grid g, uint8_t phase, const PhaseStatsOptions& opt, PhaseStats* out,
                   const Control* control);

}  // namespace stats
}  // namespace mr
