// A small complex FFT for the statistics (zero-padded correlations): mixed radix 2/3/4/5 Stockham autosort, any
// other prime factor by a plain DFT stage. Plans are immutable and shared across threads; each call brings its own
// scratch of size() values.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mr {
namespace stats {

struct cd {
  double re, im;
};

class Fft {
 public:
  explicit Fft(int64_t n);
  int64_t size() const { return n_; }
  void forward(cd* data, cd* scratch) const { run(data, 1, scratch, false); }
  void inverse(cd* data, cd* scratch) const { run(data, 1, scratch, true); }  // unscaled
  // `batch` transforms at once, element j of transform b at data[j * batch + b]; scratch of size() * batch.
  void forward(cd* data, int64_t batch, cd* scratch) const { run(data, batch, scratch, false); }
  void inverse(cd* data, int64_t batch, cd* scratch) const { run(data, batch, scratch, true); }
  static int64_t good_size(int64_t n);                                     // smallest 2^a 3^b 5^c >= n

 private:
  void run(cd* data, int64_t batch, cd* scratch, bool inverse) const;
  int64_t n_;
  std::vector<int> radix_;
  std::vector<size_t> tw_offset_;
  std::vector<cd> tw_;  // per stage: exp(-2 pi i r k / (Ns R)) at [k * R + r]
};

}  // namespace stats
}  // namespace mr
