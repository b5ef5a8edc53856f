// Transport solvers on segmented voxel volumes: steady diffusion (tortuosity, TauFactor convention) and Stokes
// flow (permeability, lattice Boltzmann). Axes are array axes of the [z, y, x] volume: 0 = z (slowest),
// 1 = y, 2 = x (fastest). Both solvers take the volume's phase labels and the label of the conducting phase.
#pragma once
#include <cstdint>

#include "core/control.h"
#include "core/status.h"

namespace mr {

struct LabelVolume {
  const uint8_t* labels;  // labels[(z * ny + y) * nx + x]
  int64_t nz, ny, nx;
};

// ---- tortuosity ----------------------------------------------------------------------------------------------
// Voxels with label `label` conduct (D = 1), others do not. c = 1 on the plane half a voxel before the first
// face along `axis`, c = 0 half a voxel after the last one (boundary voxels couple with conductance 2), no flux
// through the side faces. Voxels not 6-connected to both Dirichlet faces carry no flux and are removed before the
// solve. The system is solved by conjugate gradients preconditioned with an aggregation multigrid V-cycle.
struct TortuosityOptions {
  int axis = 0;                // 0, 1, 2
  double tolerance = 1e-6;     // on ||b - A x||_2 / ||b||_2 (true residual, float64)
  int64_t max_iterations = 0;  // 0: 10000
  int initial_guess = 0;       // 0: c = 0, 1: linear profile from 1 to 0 along the axis
  int preconditioner = 1;      // 0: Jacobi, 1: multigrid
};

struct TortuosityResult {
  bool percolates = false;
  double relative_diffusivity = 0;  // D_eff / D0 = flux * length / (area * dc)
  int64_t phase_voxels = 0;         // voxels of the label
  int64_t connected_voxels = 0;     // voxels connected to both faces (the unknowns)
  double flux = 0;                  // total flux (per unit dc), from the dissipation (second-order accurate)
  double flux_in = 0, flux_out = 0; // through the inlet and outlet planes (first-order checks of `flux`)
  int64_t iterations = 0;
  double residual = 0;              // final true relative residual
  bool converged = false;
  int levels = 0;                   // multigrid levels (1 = Jacobi)
  double setup_seconds = 0, solve_seconds = 0;
};

Status tortuosity(const LabelVolume& vol, int label, const TortuosityOptions& opt, const Control& ctl,
                  TortuosityResult* out);

// ---- permeability --------------------------------------------------------------------------------------------
// Stokes flow through voxels with label `label` (the pore phase) by a D3Q19 two-relaxation-time lattice
// Boltzmann scheme with the linear (Stokes) equilibrium, halfway bounce-back at solid voxels and at the side faces
// (or periodic side faces), a body force along `axis` inside the sample, periodic along `axis`, with
// `reservoir_layers` (0 or >= 2) open fluid layers added before and after the sample. k = nu * U / (g + dp / L) in
// voxel^2, U = Darcy velocity (flux over the whole cross-section), dp = pressure drop between the two faces of the
// sample, extrapolated linearly from the two reservoir planes next to each face.
struct PermeabilityOptions {
  int axis = 0;
  int reservoir_layers = 3;
  bool periodic_sides = false;
  double tolerance = 1e-4;   // on the estimated relative error of k (from the geometric decay of its changes)
  int64_t max_steps = 0;     // 0: 200000
  int check_every = 100;
  double tau = 0.6;          // relaxation time of the symmetric moments: nu = (tau - 1/2) / 3
};

struct PermeabilityResult {
  bool percolates = false;
  double permeability = 0;   // voxel^2
  double porosity = 0;       // label voxels / all voxels of the sample
  int64_t fluid_nodes = 0;   // lattice nodes solved (connected pore voxels + reservoirs)
  int64_t steps = 0;
  double change = 0;         // last relative change of k per check interval
  double error_estimate = 0; // estimated relative error of k
  bool converged = false;
  double darcy_velocity = 0, pressure_gradient = 0, viscosity = 0;
  double seconds = 0;
};

Status permeability(const LabelVolume& vol, int label, const PermeabilityOptions& opt, const Control& ctl,
                    PermeabilityResult* out);

}  // namespace mr
