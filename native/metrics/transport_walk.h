// AVX-512 versions of the fine-grid row kernels of transport_multigrid.cpp (transport_walk_avx512.cpp). A row is
// processed 16 voxels at a time: the compact unknowns of the row and of its four neighbouring rows are spread into
// lanes with expand-loads under the rows' 0/1 masks (popcount advances each running index), so no index map and no
// per-voxel branch is needed; results go back with compress-stores. Same arithmetic as the portable kernels up to
// the order of additions (each path is deterministic for any thread count).
#pragma once
#include <cstdint>

#include "metrics/transport_multigrid.h"

namespace mr {
namespace transport {

// True when the CPU and the build allow these kernels (and MICRORECON_ISA does not cap below avx512).
bool walk_avx512_usable();

#if defined(MR_X86)
namespace avx512 {
// q = A p over rows [r0, r1); returns sum p.q over them.
double matvec_rows(const FineGrid& g, int64_t r0, int64_t r1, const float* p, double* q);
// Red-black Gauss-Seidel half sweep over rows [r0, r1).
void sweep_rows(const FineGrid& g, int64_t r0, int64_t r1, const double* rhs, float* z, int color);
// Adds rhs - A z of fine row r into the coarse row cb (cb[x / 2]).
void restrict_row(const FineGrid& g, int64_t r, const double* rhs, const float* z, float* cb);
// z += alpha * e[x / 2] over the conducting voxels of rows [r0, r1); e = coarse row of each fine row.
void prolong_rows(const FineGrid& g, int64_t r0, int64_t r1, const CoarseLevel& c, float alpha, float* z);
}  // namespace avx512
#endif

}  // namespace transport
}  // namespace mr
