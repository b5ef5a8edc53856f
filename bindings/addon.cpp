// Node-API surface of the C++ core. TypeScript has already validated shapes and packed the params struct;
// this file only moves typed arrays in, runs the kernel on a worker thread, and turns a Status into a JS error
// with a stable `code`. The typed surface is declared once in src/backends/native-binding.ts.
#include <napi.h>

#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/kernel.h"
#include "core/parallel.h"

namespace {

struct Buffer {
  float* data;
  int64_t size;
};

Napi::Error make_error(Napi::Env env, mr::Code code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, mr::code_name(code)));
  return err;
}

// Reads a JS array of Float32Arrays; keeps references so the buffers outlive the async work.
bool read_buffers(Napi::Env env, Napi::Value v, const char* what, std::vector<Buffer>& out,
                  std::vector<Napi::ObjectReference>& refs) {
  if (!v.IsArray()) {
    make_error(env, mr::Code::InvalidArgument, std::string(what) + " must be an array of Float32Array")
        .ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value item = arr.Get(i);
    if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      make_error(env, mr::Code::InvalidArgument,
                 std::string(what) + "[" + std::to_string(i) + "] must be a Float32Array")
          .ThrowAsJavaScriptException();
      return false;
    }
    Napi::Float32Array f = item.As<Napi::Float32Array>();
    out.push_back({f.Data(), static_cast<int64_t>(f.ElementLength())});
    refs.push_back(Napi::Persistent(f.As<Napi::Object>()));
  }
  return true;
}

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, std::string name, std::vector<Buffer> in, std::vector<Buffer> out,
               std::vector<uint8_t> params, std::vector<Napi::ObjectReference> refs)
      : Napi::AsyncWorker(env, "microrecon.kernel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        name_(std::move(name)),
        in_(std::move(in)),
        out_(std::move(out)),
        params_(std::move(params)),
        refs_(std::move(refs)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override { status_ = run(name_, in_, out_, params_); }

  void OnOK() override {
    if (status_.ok()) deferred_.Resolve(Env().Undefined());
    else deferred_.Reject(make_error(Env(), status_.code, status_.message).Value());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  static mr::Status run(const std::string& name, const std::vector<Buffer>& in, const std::vector<Buffer>& out,
                        const std::vector<uint8_t>& params) {
    std::vector<const float*> ip;
    std::vector<int64_t> is;
    std::vector<float*> op;
    std::vector<int64_t> os;
    for (auto& b : in) ip.push_back(b.data), is.push_back(b.size);
    for (auto& b : out) op.push_back(b.data), os.push_back(b.size);
    mr::KernelArgs args{ip.data(), is.data(), static_cast<int>(ip.size()), op.data(), os.data(),
                        static_cast<int>(op.size()), params.data(), params.size()};
    return mr::run_kernel(name, args);
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string name_;
  std::vector<Buffer> in_, out_;
  std::vector<uint8_t> params_;
  std::vector<Napi::ObjectReference> refs_;
  mr::Status status_;
};

struct Call {
  std::string name;
  std::vector<Buffer> in, out;
  std::vector<uint8_t> params;
  std::vector<Napi::ObjectReference> refs;
};

bool parse_call(const Napi::CallbackInfo& info, Call& c) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[0].IsString() || !info[3].IsTypedArray()) {
    make_error(env, mr::Code::InvalidArgument, "runKernel(name, inputs, outputs, params: Uint8Array)")
        .ThrowAsJavaScriptException();
    return false;
  }
  c.name = info[0].As<Napi::String>().Utf8Value();
  if (!read_buffers(env, info[1], "inputs", c.in, c.refs)) return false;
  if (!read_buffers(env, info[2], "outputs", c.out, c.refs)) return false;
  Napi::TypedArray p = info[3].As<Napi::TypedArray>();
  const uint8_t* bytes = static_cast<const uint8_t*>(p.ArrayBuffer().Data()) + p.ByteOffset();
  c.params.assign(bytes, bytes + p.ByteLength());
  return true;
}

// runKernel(name, inputs, outputs, params) -> Promise<void>: runs on a libuv worker thread.
Napi::Value RunKernel(const Napi::CallbackInfo& info) {
  Call c;
  if (!parse_call(info, c)) return info.Env().Undefined();
  auto* w = new KernelWorker(info.Env(), std::move(c.name), std::move(c.in), std::move(c.out),
                             std::move(c.params), std::move(c.refs));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// runKernelSync(...) -> undefined: for tiny kernels where a thread hop costs more than the work.
Napi::Value RunKernelSync(const Napi::CallbackInfo& info) {
  Call c;
  if (!parse_call(info, c)) return info.Env().Undefined();
  mr::Status st = KernelWorker::run(c.name, c.in, c.out, c.params);
  if (!st.ok()) make_error(info.Env(), st.code, st.message).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", mr::isa_name(mr::active_isa()));
  o.Set("detectedIsa", mr::isa_name(mr::detected_isa()));
  o.Set("threads", mr::num_threads());
  int n = 0;
  const mr::KernelDef* defs = mr::all_kernels(&n);
  Napi::Array names = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) names.Set(i, defs[i].name);
  o.Set("kernels", names);
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsNumber()) {
    make_error(info.Env(), mr::Code::InvalidArgument, "setNumThreads(n: number)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  mr::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), mr::num_threads());
}

}  // namespace

// Other binding files add their functions here (bindings/metrics.cpp: the evaluation module).
void register_metrics(Napi::Env env, Napi::Object exports);

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("runKernel", Napi::Function::New(env, RunKernel));
  exports.Set("runKernelSync", Napi::Function::New(env, RunKernelSync));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  register_metrics(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(microrecon, Init)
