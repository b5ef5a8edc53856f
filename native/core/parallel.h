// A small persistent thread pool shared by every CPU kernel. One parallel region runs at a time (concurrent
// callers queue on a mutex so they never oversubscribe the cores); a region opened inside a worker runs serially.
#pragma once
#include <cstdint>
#include <functional>

namespace mr {

int num_threads();                 // threads a region uses (default: hardware concurrency, or MICRORECON_THREADS)
void set_num_threads(int n);       // n <= 0 restores the default

// Calls fn(lo, hi) over disjoint chunks covering [0, n), chunks of at least `grain` items. Blocks until done.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Calls fn(thread_index, thread_count) once on each thread of a region (for kernels that partition work
// themselves, e.g. by cache tiles).
void parallel_run(const std::function<void(int, int)>& fn);

// Sets flush-to-zero / denormals-are-zero on the calling thread (denormals slowed training by ~40 %). Only for
// threads the pool owns: on any other thread use FlushDenormalsScope.
void set_flush_denormals();

// Flush-to-zero / denormals-are-zero for the lifetime of the scope, then the caller's floating-point mode back.
// Every native entry point runs under one: results must not depend on which libuv thread (and what it ran before)
// picked up the job, and Node's main thread must keep IEEE denormals for JavaScript (V8 uses the same SSE unit).
class FlushDenormalsScope {
 public:
  FlushDenormalsScope();
  ~FlushDenormalsScope();
  FlushDenormalsScope(const FlushDenormalsScope&) = delete;
  FlushDenormalsScope& operator=(const FlushDenormalsScope&) = delete;

 private:
  unsigned saved_ = 0;
};

// True when the calling thread currently flushes denormals (for tests).
bool flushing_denormals();

}  // namespace mr
