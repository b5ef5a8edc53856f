#include "status.h"

namespace mr {

const char* code_name(Code c) {
  switch (c) {
    case Code::Ok: return "OK";
    case Code::InvalidArgument: return "ERR_INVALID_ARGUMENT";
    case Code::OutOfMemory: return "ERR_OUT_OF_MEMORY";
    case Code::NotSupported: return "ERR_NOT_SUPPORTED";
    case Code::Aborted: return "ERR_ABORTED";
    case Code::Internal: default: return "ERR_NATIVE";
  }
}

}  // namespace mr
