// The diffusion operator on the conducting voxels (matrix-free, compact unknowns) and its multigrid
// preconditioner.
//
// Fine level: unknowns are the conducting voxels in raster order of an AxisMask (axis 0 = transport axis). A row
// (a, b) of the mask holds the unknowns rs[r] .. rs[r+1]-1, so walking a row with one running index per
// neighbouring row (y-1, y+1, z-1, z+1) finds every neighbour's unknown without an index map: memory is one byte
// per voxel plus the vectors over the unknowns. Vectors that are read at neighbours have one padding element at
// each end (index -1 and n), which the 0/1 mask multiplies away.
//
// A = graph Laplacian of the 6-neighbour links between conducting voxels (conductance 1) plus 2 on the diagonal
// of every voxel on the first or last plane (the Dirichlet planes half a voxel outside). b = 2 on the first plane.
//
// Coarse levels: unsmoothed aggregation of 2x2x2 blocks with Galerkin operators P^T A P, which are again 7-point
// operators on the coarse grid (link weight = number of fine links between two blocks). Smoother: red-black
// Gauss-Seidel (forward before, backward after the coarse correction, so the V-cycle is symmetric); coarsest
// level: dense Cholesky. The coarse correction is scaled by an over-correction factor (Braess), which keeps the
// V-cycle symmetric and makes up for the piecewise-constant interpolation.
#pragma once
#include <cstdint>
#include <vector>

#include "metrics/transport_grid.h"

namespace mr {
namespace transport {

// A vector with a zero element before index 0 and after index n-1 (read by the branch-free stencil).
template <typename T>
struct PaddedVec {
  std::vector<T> buf;
  T* v = nullptr;
  void resize(int64_t n) {
    buf.assign(static_cast<size_t>(n + 2), T(0));
    v = buf.data() + 1;
  }
};

struct FineGrid {
  int64_t n0 = 0, n1 = 0, n2 = 0, rows = 0, n = 0;
  const uint8_t* m = nullptr;
  std::vector<int64_t> rs;      // row starts, rows + 1
  std::vector<uint8_t> zero;    // n2 zeros (rows outside the volume)
  int64_t rows_per_block = 1;   // fixed reduction blocks of rows

  void init(const AxisMask& mask);
  int64_t row_blocks() const { return (rows + rows_per_block - 1) / rows_per_block; }
};

// q = A p; returns p . q (float64, deterministic order).
double fine_matvec_dot(const FineGrid& g, const float* p, double* q);
// r = b - A x; returns ||r||^2.
double fine_residual(const FineGrid& g, const double* x, double* r);
// inv[i] = 1 / A_ii (the Jacobi preconditioner).
void fine_inverse_diagonal(const FineGrid& g, float* inv);
// Flux through the first (c = 1) and last (c = 0) planes.
void fine_flux(const FineGrid& g, const double* x, double* flux_in, double* flux_out);

struct CoarseLevel {
  int64_t n0 = 0, n1 = 0, n2 = 0;
  std::vector<float> w0, w1, w2, dg;  // links to the +1 neighbour along each axis; diagonal (0: empty cell)
  std::vector<float> x, b;
  int64_t active = 0;
  int64_t size() const { return n0 * n1 * n2; }
};

class Multigrid {
 public:
  // Builds the hierarchy; `over_correction` scales every coarse correction; `sweeps` = smoothing steps.
  void build(const FineGrid& g, double over_correction = 1.8, int sweeps = 1);
  // z = M^{-1} r (z is padded).
  void apply(const double* r, float* z);
  int levels() const { return static_cast<int>(coarse_.size()) + 1; }

 private:
  void cycle(size_t k);
  void dense_factor();
  void dense_solve();

  const FineGrid* g_ = nullptr;
  std::vector<CoarseLevel> coarse_;
  double alpha_ = 1.8;
  int sweeps_ = 1;
  std::vector<int64_t> dense_ids_;
  std::vector<double> dense_l_;  // Cholesky factor, row-major lower triangle
  std::vector<double> dense_tmp_;
};

}  // namespace transport
}  // namespace mr
