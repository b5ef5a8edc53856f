// C ABI of the WebAssembly build (src/backends/wasm-binding.ts declares the same surface in TypeScript).
// TypeScript holds integer tensor handles; this file owns the table mapping them to aligned buffers in linear
// memory, runs kernels by name through the same registry as the Node addon, and reports failures as a Code
// plus a last-error string. Everything is called from one JS thread; kernels fan out to the core's pool.
#include <emscripten/emscripten.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "core/kernel.h"
#include "core/params.h"
#include "core/parallel.h"

namespace {

struct Slot {
  float* data = nullptr;
  uint32_t size = 0;  // elements
};

std::vector<Slot> g_slots(1);  // handle 0 is never used (0 means "failed")
std::vector<int32_t> g_free_handles;

// Arguments of mr_run, written by TypeScript into these fixed blocks (no allocation per call).
constexpr int kMaxBuffers = mr::kMaxConcat + 1;
int32_t g_in[kMaxBuffers], g_out[kMaxBuffers];
alignas(8) uint8_t g_params[256];
char g_name[64];
static_assert(sizeof(mr::BinaryParams) <= sizeof(g_params) && sizeof(mr::ConcatParams) <= sizeof(g_params),
              "params block too small");

// The last error's message, in a fixed buffer: reporting must work when the heap is full.
char g_last_error[1024];

int32_t fail(mr::Code code, const char* msg) {
  std::snprintf(g_last_error, sizeof(g_last_error), "%s", msg);
  return static_cast<int32_t>(code);
}

// Out-of-memory inside a kernel surfaces as std::bad_alloc (caught by run_kernel, or by mr_run). When operator
// new fails, the new-handler releases a reserve block, so that the exception's bookkeeping and the error's
// message still find memory, and fails the allocation; mr_run takes the reserve back after each call.
constexpr size_t kReserveBytes = 64 << 10;
std::atomic<void*> g_reserve{nullptr};

void release_reserve() {
  std::free(g_reserve.exchange(nullptr));
  throw std::bad_alloc();
}

void take_reserve() {
  if (g_reserve.load()) return;
  void* p = std::malloc(kReserveBytes);
  void* expected = nullptr;
  if (p && !g_reserve.compare_exchange_strong(expected, p)) std::free(p);
}

const Slot* slot_of(int32_t h) {
  if (h <= 0 || h >= static_cast<int32_t>(g_slots.size()) || !g_slots[h].data) return nullptr;
  return &g_slots[h];
}

int32_t alloc(uint32_t n) {
  const uint64_t bytes = (uint64_t(n ? n : 1) * 4 + 63) & ~uint64_t(63);
  void* p = bytes <= UINT32_MAX - 64 ? std::aligned_alloc(64, static_cast<size_t>(bytes)) : nullptr;
  if (!p) {
    char msg[200];
    std::snprintf(msg, sizeof(msg),
                  "cannot allocate %u floats (%u MiB): WebAssembly memory cannot grow to fit it (4 GiB in all, one "
                  "buffer under 2 GiB)", n, static_cast<unsigned>(bytes >> 20));
    fail(mr::Code::OutOfMemory, msg);
    return 0;
  }
  int32_t h;
  if (!g_free_handles.empty()) {
    h = g_free_handles.back();
    g_free_handles.pop_back();
  } else {
    h = static_cast<int32_t>(g_slots.size());
    g_slots.emplace_back();  // may throw bad_alloc: the caller catches it
  }
  g_slots[h] = {static_cast<float*>(p), n};
  return h;
}

int32_t run(int32_t n_in, int32_t n_out, uint32_t params_bytes) {
  g_name[sizeof(g_name) - 1] = 0;
  const std::string name(g_name);
  if (n_in < 0 || n_in > kMaxBuffers || n_out < 0 || n_out > kMaxBuffers || params_bytes > sizeof(g_params))
    return fail(mr::Code::InvalidArgument, (name + ": bad argument counts").c_str());
  const float* ip[kMaxBuffers];
  float* op[kMaxBuffers];
  int64_t is[kMaxBuffers], os[kMaxBuffers];
  for (int i = 0; i < n_in; ++i) {
    const Slot* s = slot_of(g_in[i]);
    if (!s) return fail(mr::Code::InvalidArgument, (name + ": input " + std::to_string(i) + " is not a live buffer").c_str());
    ip[i] = s->data, is[i] = s->size;
  }
  for (int i = 0; i < n_out; ++i) {
    const Slot* s = slot_of(g_out[i]);
    if (!s) return fail(mr::Code::InvalidArgument, (name + ": output " + std::to_string(i) + " is not a live buffer").c_str());
    op[i] = s->data, os[i] = s->size;
  }
  const mr::KernelArgs args{ip, is, n_in, op, os, n_out, g_params, params_bytes};
  const mr::Status st = mr::run_kernel(name, args);
  if (st.ok()) return 0;
  return fail(st.code, st.message.empty() ? "out of memory" : st.message.c_str());
}

std::string kernel_list() {
  int n = 0;
  const mr::KernelDef* defs = mr::all_kernels(&n);
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::string(defs[i].name);
  return s;
}

}  // namespace

extern "C" {

// A buffer of n floats (uninitialised), or 0 with ERR_OUT_OF_MEMORY in mr_last_error when memory cannot grow.
EMSCRIPTEN_KEEPALIVE int32_t mr_alloc(uint32_t n) {
  try {
    return alloc(n);
  } catch (const std::bad_alloc&) {
    fail(mr::Code::OutOfMemory, "out of memory for the handle table");
    return 0;
  }
}

EMSCRIPTEN_KEEPALIVE void mr_free(int32_t h) {
  if (!slot_of(h)) return;
  std::free(g_slots[h].data);
  g_slots[h] = {};
  try {
    g_free_handles.push_back(h);
  } catch (const std::bad_alloc&) {
    // the handle number is lost, the memory is not
  }
}

// Address of a buffer's first float in linear memory (for uploads and downloads), 0 for a bad handle.
EMSCRIPTEN_KEEPALIVE uintptr_t mr_data(int32_t h) {
  const Slot* s = slot_of(h);
  return s ? reinterpret_cast<uintptr_t>(s->data) : 0;
}

EMSCRIPTEN_KEEPALIVE uintptr_t mr_arg_inputs() { return reinterpret_cast<uintptr_t>(g_in); }
EMSCRIPTEN_KEEPALIVE uintptr_t mr_arg_outputs() { return reinterpret_cast<uintptr_t>(g_out); }
EMSCRIPTEN_KEEPALIVE uintptr_t mr_arg_params() { return reinterpret_cast<uintptr_t>(g_params); }
EMSCRIPTEN_KEEPALIVE uintptr_t mr_arg_name() { return reinterpret_cast<uintptr_t>(g_name); }
EMSCRIPTEN_KEEPALIVE int32_t mr_arg_capacity() { return kMaxBuffers; }

// Runs the kernel named in the name block on the handles in the input/output blocks with the packed params.
// Returns a Code (0 = ok); the message is in mr_last_error(). No C++ exception leaves this function.
EMSCRIPTEN_KEEPALIVE int32_t mr_run(int32_t n_in, int32_t n_out, uint32_t params_bytes) {
  take_reserve();
  std::set_new_handler(release_reserve);
  int32_t rc;
  try {
    rc = run(n_in, n_out, params_bytes);
  } catch (const std::bad_alloc&) {
    rc = fail(mr::Code::OutOfMemory, "out of memory");
  } catch (...) {
    rc = fail(mr::Code::Internal, "unexpected C++ exception");
  }
  take_reserve();
  return rc;
}

EMSCRIPTEN_KEEPALIVE const char* mr_last_error() { return g_last_error; }

// Comma-separated kernel names of this build.
EMSCRIPTEN_KEEPALIVE const char* mr_kernels() {
  static const std::string list = kernel_list();
  return list.c_str();
}

EMSCRIPTEN_KEEPALIVE int32_t mr_threads() { return mr::num_threads(); }
EMSCRIPTEN_KEEPALIVE int32_t mr_set_threads(int32_t n) {
  mr::set_num_threads(n);
  return mr::num_threads();
}

EMSCRIPTEN_KEEPALIVE const char* mr_variant() { return MR_WASM_VARIANT; }

}  // extern "C"
