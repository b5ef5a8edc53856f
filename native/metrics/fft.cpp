#include "metrics/fft.h"

#include <cmath>

#include "core/cpu_features.h"

#define MR_FFT_NS portable
#include "metrics/fft_kernels.h"
#undef MR_FFT_NS

namespace mr {
namespace stats {

namespace avx2 {
void fft_run(int64_t n, const std::vector<int>& radix, const std::vector<size_t>& tw_offset, const cd* tw_all,
             cd* data, int64_t batch, cd* scratch, bool inverse);
}  // namespace avx2

int64_t Fft::good_size(int64_t n) {
  if (n <= 1) return 1;
  for (int64_t m = n;; ++m) {
    int64_t r = m;
    for (int p : {2, 3, 5})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

Fft::Fft(int64_t n) : n_(n) {
  int64_t r = n;
  while (r % 4 == 0) radix_.push_back(4), r /= 4;
  while (r % 2 == 0) radix_.push_back(2), r /= 2;
  for (int p = 3; int64_t(p) * p <= r; p += 2)
    while (r % p == 0) radix_.push_back(p), r /= p;
  if (r > 1) radix_.push_back(static_cast<int>(r));
  int64_t ns = 1;
  for (int R : radix_) {
    tw_offset_.push_back(tw_.size());
    for (int64_t k = 0; k < ns; ++k)
      for (int j = 0; j < R; ++j) {
        const double a = -2 * 3.14159265358979323846 * double(j * k) / double(ns * R);
        tw_.push_back({std::cos(a), std::sin(a)});
      }
    ns *= R;
  }
}

void Fft::run(cd* data, int64_t batch, cd* scratch, bool inverse) const {
  if (n_ <= 1) return;
#if defined(MR_X86)
  if (active_isa() != Isa::Portable) {
    avx2::fft_run(n_, radix_, tw_offset_, tw_.data(), data, batch, scratch, inverse);
    return;
  }
#endif
  portable::fft_run(n_, radix_, tw_offset_, tw_.data(), data, batch, scratch, inverse);
}

}  // namespace stats
}  // namespace mr
