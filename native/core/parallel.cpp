#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#endif

namespace mr {

void set_flush_denormals() {
#if defined(__SSE__) || defined(__x86_64__)
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

#if defined(__SSE__) || defined(__x86_64__)
constexpr unsigned kFtzDaz = _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON;
FlushDenormalsScope::FlushDenormalsScope() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtzDaz); }
// Restores the whole MXCSR: the mode bits, and the sticky exception flags our arithmetic raised.
FlushDenormalsScope::~FlushDenormalsScope() { _mm_setcsr(saved_); }
bool flushing_denormals() { return (_mm_getcsr() & kFtzDaz) == kFtzDaz; }
#else
FlushDenormalsScope::FlushDenormalsScope() { (void)saved_; }  // wasm and other targets: IEEE throughout
FlushDenormalsScope::~FlushDenormalsScope() {}
bool flushing_denormals() { return false; }
#endif

namespace {

// Threads a wasm build may start: none without pthreads; with them, the workers emscripten preloads
// (MR_MAX_THREADS, set by wasm/CMakeLists.txt), since a browser cannot start one while a kernel blocks.
int capped(int n) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  (void)n;
  return 1;
#elif defined(MR_MAX_THREADS)
  return std::min(n, MR_MAX_THREADS);
#else
  return n;
#endif
}

int default_threads() {
  if (const char* env = std::getenv("MICRORECON_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return capped(n);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return capped(hc == 0 ? 1 : static_cast<int>(hc));
}

thread_local bool t_in_region = false;

class Pool {
 public:
  static Pool& get() {
    static Pool* pool = new Pool();  // never destroyed: workers may outlive static destruction order
    return *pool;
  }

  int threads() const { return threads_; }
  void set_threads(int n) {
    std::lock_guard<std::mutex> region(region_mu_);
    threads_ = n > 0 ? capped(n) : default_threads();
    ensure_workers(threads_ - 1);
  }

  void run(const std::function<void(int, int)>& fn) {
    if (t_in_region || threads_ <= 1) {
      FlushDenormalsScope fp;
      fn(0, 1);
      return;
    }
    std::lock_guard<std::mutex> region(region_mu_);
    const int team = threads_;
    ensure_workers(team - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      team_ = team;
      pending_ = team - 1;
      ++generation_;
    }
    cv_.notify_all();
    {
      FlushDenormalsScope fp;  // the calling thread is not ours: give its mode back afterwards
      t_in_region = true;
      fn(0, team);
      t_in_region = false;
    }
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  Pool() : threads_(default_threads()) {}

  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      int index = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, index] { worker(index); });
      workers_.back().detach();
    }
  }

  void worker(int index) {
    t_in_region = true;
    set_flush_denormals();
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int, int)>* job;
      int team;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
        job = job_;
        team = team_;
      }
      if (job && index < team) {
        (*job)(index, team);
        std::lock_guard<std::mutex> lk(mu_);
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  int threads_;
  std::mutex region_mu_;  // one region at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  int team_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace

int num_threads() { return Pool::get().threads(); }
void set_num_threads(int n) { Pool::get().set_threads(n); }

void parallel_run(const std::function<void(int, int)>& fn) { Pool::get().run(fn); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = (n + grain - 1) / grain;
  if (max_chunks <= 1 || num_threads() <= 1 || t_in_region) {
    FlushDenormalsScope fp;  // same arithmetic as on the pool's threads
    fn(0, n);
    return;
  }
  // Dynamic chunking: threads take chunks from a shared counter, which balances uneven work (borders).
  const int64_t chunks = std::min<int64_t>(max_chunks, int64_t(num_threads()) * 4);
  const int64_t chunk = (n + chunks - 1) / chunks;
  std::atomic<int64_t> next{0};
  parallel_run([&](int, int) {
    for (;;) {
      int64_t lo = next.fetch_add(chunk);
      if (lo >= n) break;
      fn(lo, std::min(n, lo + chunk));
    }
  });
}

}  // namespace mr
