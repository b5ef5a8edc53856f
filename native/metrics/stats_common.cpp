// Small pieces every statistic shares.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "metrics/stats.h"

namespace mr {
namespace stats {

Status aborted() { return Error(Code::Aborted, "the operation was aborted"); }

void label_counts(const uint8_t* labels, int64_t n, int64_t* counts) {
  constexpr int64_t kBlock = 1 << 20;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<int64_t> per(blocks * 256, 0);
  parallel_for(blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      int64_t* c = per.data() + b * 256;
      const uint8_t* p = labels + b * kBlock;
      const int64_t m = std::min(kBlock, n - b * kBlock);
      for (int64_t i = 0; i < m; ++i) ++c[p[i]];
    }
  });
  std::memset(counts, 0, 256 * sizeof(int64_t));
  for (int64_t b = 0; b < blocks; ++b)
    for (int v = 0; v < 256; ++v) counts[v] += per[b * 256 + v];
}

}  // namespace stats
}  // namespace mr
