// Error reporting without exceptions: kernels return a Status so the same core builds for Node, CUDA and
// emscripten (where exceptions are costly). Codes match the TypeScript error classes' `code` strings.
#pragma once
#include <string>
#include <utility>

namespace mr {

enum class Code : int {
  Ok = 0,
  InvalidArgument = 1,   // ERR_INVALID_ARGUMENT
  OutOfMemory = 2,       // ERR_OUT_OF_MEMORY
  NotSupported = 3,      // ERR_NOT_SUPPORTED
  Internal = 4,          // ERR_NATIVE
  Aborted = 5,           // ERR_ABORTED
};

struct Status {
  Code code = Code::Ok;
  std::string message;
  bool ok() const { return code == Code::Ok; }
  static Status Ok() { return {}; }
};

inline Status Error(Code c, std::string msg) { return Status{c, std::move(msg)}; }
inline Status InvalidArgument(std::string msg) { return Error(Code::InvalidArgument, std::move(msg)); }

const char* code_name(Code c);

}  // namespace mr

#define MR_RETURN_IF_ERROR(expr)        \
  do {                                  \
    ::mr::Status _st = (expr);          \
    if (!_st.ok()) return _st;          \
  } while (0)
