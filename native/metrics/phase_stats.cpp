#include "metrics/phase_stats.h"

#include <algorithm>

#include "core/parallel.h"

namespace mr {
namespace stats {

Status phase_stats(const uint8_t* labels, Grid g, uint8_t phase, const PhaseStatsOptions& opt, PhaseStats* out,
                   const Control* control) {
  if (g.nx <= 0 || g.ny <= 0 || g.nz <= 0) return InvalidArgument("empty volume");
  *out = PhaseStats{};
  uint32_t m = opt.metrics & kAllMetrics;
  if (m & kAnisotropy) m |= kTwoPoint | kSurface;
  // Progress shares by rough cost.
  const struct {
    Metric metric;
    double cost;
  } costs[] = {{kTwoPoint, 1}, {kRadial, 8}, {kLinealChord, 1}, {kSurface, 1}, {kConnectivity, 2}, {kThickness, 5}};
  double total = 0.2;
  for (auto& c : costs)
    if (m & c.metric) total += c.cost;
  double at = 0.2;
  auto next = [&](Metric metric) {
    double cost = 0;
    for (auto& c : costs)
      if (c.metric == metric) cost = c.cost;
    Progress p{control, at / total, (at + cost) / total};
    at += cost;
    return p;
  };
  Progress all{control, 0, 1};

  int64_t counts[256];
  label_counts(labels, g.size(), counts);
  out->phase_voxels = counts[phase];
  out->fraction = double(counts[phase]) / double(g.size());
  all.report(0.2 / total);
  if (all.cancelled()) return aborted();

  std::array<int64_t, 3> lag;
  for (int a = 0; a < 3; ++a) lag[a] = g.extent(a) > 1 ? std::min(opt.max_lag[a], g.extent(a) / 2) : -1;
  if (m & kTwoPoint) MR_RETURN_IF_ERROR(two_point_directional(labels, g, phase, lag, &out->s2, next(kTwoPoint)));
  if (m & kRadial) {
    int64_t r = opt.radial_max;
    if (r < 0) {
      int64_t mn = INT64_MAX;
      for (int a = 0; a < 3; ++a)
        if (g.extent(a) > 1) mn = std::min(mn, g.extent(a));
      r = mn == INT64_MAX ? 0 : mn / 2;
    }
    MR_RETURN_IF_ERROR(two_point_radial(labels, g, phase, r, &out->radial, next(kRadial)));
  }
  if (m & kLinealChord) MR_RETURN_IF_ERROR(lineal_chord(labels, g, phase, lag, &out->runs, next(kLinealChord)));
  if (m & kSurface) MR_RETURN_IF_ERROR(surface(labels, g, phase, &out->surface, next(kSurface)));
  if (m & kConnectivity) {
    MR_RETURN_IF_ERROR(connectivity(labels, g, phase, &out->conn, next(kConnectivity)));
    out->euler = euler_characteristic(labels, g, phase);
  }
  if (m & kThickness) MR_RETURN_IF_ERROR(local_thickness(labels, g, phase, &out->thickness, next(kThickness)));
  if (m & kAnisotropy) {
    MR_RETURN_IF_ERROR(mil_fabric(out->surface, g, opt.directions, &out->fabric));
    double lo = 1e300, hi = 0;
    bool all_defined = true;
    for (int a = 0; a < 3; ++a) {
      if (g.extent(a) <= 1) continue;
      out->corr_length[a] = correlation_length(out->s2[a], out->fraction);
      if (out->corr_length[a] <= 0) all_defined = false;
      lo = std::min(lo, out->corr_length[a]);
      hi = std::max(hi, out->corr_length[a]);
    }
    if (out->fabric.defined && all_defined)
      out->isotropic = out->fabric.degree < kIsotropicDA && hi / lo < kIsotropicRatio ? 1 : 0;
  }
  out->computed = m;
  all.report(1.0);
  return Status::Ok();
}

}  // namespace stats
}  // namespace mr
