/** The conventions behind the report's numbers, one short sentence each, stored in meta.methods. */
export function methodNotes(dimensions: 2 | 3): Record<string, string> {
  const d3 = dimensions === 3;
  return {
    axes: 'x = last array axis (columns), y = rows, z = pages of the [z, y, x] volume; an axis of extent 1 reads null',
    units: 'lengths in voxels, densities per voxel (2D: per pixel); *Metres, *PerMetre, *M2 fields in SI from the spacing option (null without it)',
    twoPointCorrelation:
      'S2(r) non-periodic: mean over all voxel pairs (i, i + r along the axis) inside the volume of [both in the phase], r = 0..min(floor(n/2), 100); S2(0) = volumeFraction exactly; radial: zero-padded FFT, bins round(|d|)',
    linealPath: 'L(r): fraction of segments of r + 1 voxels along the axis lying wholly in the phase; L(0) = volumeFraction',
    chordLength:
      'chords = runs of the phase along the axis; runs touching either face normal to the axis are excluded (excludedBoundaryRuns), as PoreSpy does; number-weighted mean in voxels',
    surfaceArea: d3
      ? 'faceCount = voxel faces between the phase and other labels / voxels; marchingCubes = binary marching-cubes surface at level 0.5, open at the volume faces / voxels; marchingCubesCorrected = marchingCubes / meshBias (1.08799, the mean staircase overestimate for randomly oriented planes)'
      : 'perimeter per pixel: faceCount = pixel edges between the phase and other labels / pixels; marchingCubes = marching-squares length at level 0.5 / pixels; marchingCubesCorrected = marchingCubes / meshBias (1.05479)',
    connectivity:
      '6-connected components (2D: 4); percolates = one component touches both faces normal to the axis; Euler characteristic with 26-connectivity for the phase, 6 for the rest (2D: 8/4), outside = rest',
    poreSizeDistribution:
      'local thickness: exact Euclidean distance transform to the nearest voxel of another label (volume faces are not walls); a voxel reads the diameter 2 sqrt(d2) - 1 of the largest inscribed ball containing it; 1-voxel bins, voxel-weighted mean; null when the phase fills the volume',
    tortuosity:
      'TauFactor convention: the phase conducts (D = 1), others not; c = 1 and 0 on planes half a voxel outside the faces normal to the axis, closed sides, voxel-centred finite volumes; relativeDiffusivity = D_eff/D0 (includes the volume fraction), tortuosityFactor = volumeFraction / relativeDiffusivity; multigrid-preconditioned CG to relative residual 1e-6; a non-percolating axis gives relativeDiffusivity 0 and tortuosityFactor null',
    anisotropy:
      'mean intercept length (fabric tensor) from the marching-cubes surface over evenly spread directions; degree DA = 1 - MIL_min/MIL_max; correlationLength = lag where (S2 - phi^2)/(phi - phi^2) first drops below 1/e; isotropic = DA < 0.1 and max/min correlation length < 1.25; null without surface',
    permeability:
      'Stokes flow through the phase: D3Q19 TRT lattice Boltzmann, halfway bounce-back, closed sides, 3 reservoir layers each end, body-force driven; k = mu U / (g + dp/L) in voxel^2, m^2 and mD (1 mD = 9.869233e-16 m^2) with spacing',
    similarity:
      'labels scaled to label/(P-1), data range 1; ssim: Gaussian window sigma 1.5, 11 taps (skimage gaussian_weights=True), ssimUniform: 7^3 window (7^2 in 2D), null when an extent < 11; psnr = 10 log10(1/mse) dB, null for identical volumes',
    comparison:
      'difference = volume - reference; relativeError = difference/|reference| (0 when equal, null when the reference is 0 or null); S2 and lineal-path RMSE over common lags',
    nulls: 'null = not defined for this input (see the field docs); the report never holds NaN or Infinity',
  };
}
