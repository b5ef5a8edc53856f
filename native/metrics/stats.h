// Microstructure statistics of one phase of a label volume (the evaluation module, without the transport solvers).
// Every function takes a uint8 label volume of shape [nz, ny, nx] (x fastest; a 2D image has nz = 1), treats the
// volume as non-periodic, runs on the shared thread pool and gives the same bits for any thread count: sums are
// integer counts, or doubles reduced in a fixed order. Axis index 0 = x (last array axis), 1 = y, 2 = z (first).
// Lengths are in voxels, areas in voxel faces; physical units are the caller's business.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "core/control.h"
#include "core/status.h"

namespace mr {
namespace stats {

struct Grid {
  int64_t nz = 0, ny = 0, nx = 0;
  int64_t size() const { return nz * ny * nx; }
  int64_t extent(int axis) const { return axis == 0 ? nx : axis == 1 ? ny : nz; }
  int64_t stride(int axis) const { return axis == 0 ? 1 : axis == 1 ? nx : nx * ny; }
  bool is2d() const { return nz == 1; }
};

// Progress in [lo, hi] of the caller's control block, and its cancel flag.
struct Progress {
  const Control* ctl = nullptr;
  double lo = 0, hi = 1;
  bool cancelled() const { return ctl && ctl->cancelled(); }
  void report(double f) const {
    if (ctl) ctl->progress(lo + (hi - lo) * f);
  }
  Progress sub(double a, double b) const { return {ctl, lo + (hi - lo) * a, lo + (hi - lo) * b}; }
};

Status aborted();  // the status every function returns when the cancel flag was seen

// Voxel count of every label value (counts[256]).
void label_counts(const uint8_t* labels, int64_t n, int64_t* counts);

// ---- two-point correlation -------------------------------------------------------------------------------------
// Directional S2 along each axis for lags 0..max_lag[axis]: the mean over all pairs (i, i + r e_axis) inside the
// volume of [both in phase]. Exact integer pair counts; S2(0) is the volume fraction. Empty for max_lag < 0.
Status two_point_directional(const uint8_t* labels, Grid g, uint8_t phase, const std::array<int64_t, 3>& max_lag,
                             std::array<std::vector<double>, 3>* s2, const Progress& p);

// Radially averaged S2 for |d| in bins of width 1 (bin r holds |d| in [r - 0.5, r + 0.5)), r = 0..max_r: the
// total count of pairs at displacements d in the bin that are both in the phase, over the total number of pairs at
// those displacements inside the volume (zero-padded FFT autocorrelation; counts are rounded to the exact
// integers). 2D images use in-plane displacements. pairs[r] is the denominator. max_r is clipped to the largest
// extent - 1.
struct RadialS2 {
  std::vector<double> value;
  std::vector<double> pairs;
};
Status two_point_radial(const uint8_t* labels, Grid g, uint8_t phase, int64_t max_r, RadialS2* out,
                        const Progress& p);
// Bytes the radial S2 needs (for the caller's memory check).
int64_t two_point_radial_bytes(Grid g, int64_t max_r);

// ---- lineal path and chords ------------------------------------------------------------------------------------
struct AxisRuns {
  std::vector<double> lineal;       // L(r), r = 0..max_lag: P(voxels i..i+r along the axis all in the phase)
  std::vector<int64_t> chords;      // chords[len]: runs of the phase along the axis not touching the volume faces
  int64_t chord_count = 0;
  int64_t boundary_runs = 0;        // runs touching a face normal to the axis (excluded from `chords`)
  double mean_chord = 0;            // number-weighted mean of `chords` (0 when there is none)
};
Status lineal_chord(const uint8_t* labels, Grid g, uint8_t phase, const std::array<int64_t, 3>& max_lag,
                    std::array<AxisRuns, 3>* out, const Progress& p);

// ---- surface area (3D) / perimeter (2D) --------------------------------------------------------------------------
struct Surface {
  int64_t faces = 0;                // voxel faces (2D: pixel edges) between the phase and any other label
  double mesh = 0;                  // marching-cubes (2D: marching-squares) length/area at level 0.5, open at faces
  double mesh_corrected = 0;        // mesh / kMeshBias: unbiased for isotropic surfaces
  std::vector<int64_t> cases;       // cell configuration histogram (256 in 3D, 16 in 2D)
};
Status surface(const uint8_t* labels, Grid g, uint8_t phase, Surface* out, const Progress& p);
// Mean overestimate of the binary marching-cubes area of a plane (3D) / marching-squares length of a line (2D),
// averaged over uniformly random orientations and positions; computed exactly from the tables.
double mesh_bias(bool two_d);

// ---- connectivity --------------------------------------------------------------------------------------------
struct Connectivity {
  int64_t components = 0;           // 6-connected (2D: 4-connected) components of the phase
  int64_t largest = 0;              // voxels of the largest
  std::array<bool, 3> percolates{}; // a component touches both faces normal to the axis
};
Status connectivity(const uint8_t* labels, Grid g, uint8_t phase, Connectivity* out, const Progress& p);

// Euler characteristic of the phase as a union of closed unit cubes (26-connectivity for the phase, 6 for the
// complement; 2D: 8 / 4), with everything outside the volume counted as complement.
int64_t euler_characteristic(const uint8_t* labels, Grid g, uint8_t phase);

// ---- distance transform and local thickness -----------------------------------------------------------------------
// Squared Euclidean distance from every voxel of the phase to the nearest voxel centre of another label (0 off the
// phase). Outside the volume is not a wall. kNoBackground where no other label exists on the volume.
constexpr uint32_t kNoBackground = 0xffffffffu;
Status squared_edt(const uint8_t* labels, Grid g, uint8_t phase, std::vector<uint32_t>* d2, const Progress& p);

struct Thickness {
  bool defined = false;             // false when the phase fills the volume (no wall to measure against)
  std::vector<int64_t> counts;      // counts[k]: voxels whose local thickness rounds to k voxels
  double mean = 0;                  // voxel-weighted mean local thickness
  double max = 0;
};
// Local thickness (Hildebrand & Ruegsegger): each voxel gets the diameter 2 sqrt(d2(c)) - 1 of the largest ball
// B(c) = {p : |p - c|^2 < d2(c)} centred at a voxel c of the phase that contains it. Exact for this definition:
// balls are painted only from distance-ridge centres (a ball inside a neighbour's ball is skipped).
Status local_thickness(const uint8_t* labels, Grid g, uint8_t phase, Thickness* out, const Progress& p);

// ---- anisotropy ----------------------------------------------------------------------------------------------------
struct Fabric {
  bool defined = false;             // false when the phase has no surface
  int directions = 0;               // test directions on the (hemi)sphere / half circle
  std::array<double, 3> mil{};      // MIL along the principal directions (descending); < 0 = unbounded
  std::array<std::array<double, 3>, 3> axes{};  // principal directions, [i] = (x, y, z) of the i-th
  double degree = 0;                // DA = 1 - MIL_min / MIL_max
  std::vector<double> sampled;      // MIL(w) at each test direction (for plots)
};
// Mean intercept length fabric from the marching-cubes (2D: marching-squares) surface of the phase: the intercept
// density along w is sum over triangles of area |w . n| / volume (the count an infinitely dense family of test lines
// would find), MIL(w) = 1 / density; 1 / MIL^2 = w^T M w is fitted by least squares and M eigen-decomposed (Jacobi).
Status mil_fabric(const Surface& s, Grid g, int directions, Fabric* out);

// Lag where (S2 - phi^2) / (phi - phi^2) first drops below 1/e, linearly interpolated; < 0 when it does not within
// the lags given or when phi is 0 or 1.
double correlation_length(const std::vector<double>& s2, double phi);

// ---- comparison of two volumes ---------------------------------------------------------------------------------------
struct Similarity {
  double ssim_gaussian = 0;         // Gaussian window sigma 1.5, 11 taps (skimage gaussian_weights=True)
  double ssim_uniform = 0;          // 7^3 uniform window, sample covariance (skimage default)
  double mse = 0;                   // on labels scaled by 1 / (phases - 1)
};
// Values are label / (phases - 1), data range 1; 2D images use 2D windows. Needs every used extent >= 11.
Status similarity(const uint8_t* a, const uint8_t* b, Grid g, int phases, Similarity* out, const Progress& p);

}  // namespace stats
}  // namespace mr
