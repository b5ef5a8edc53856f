// Node-API functions of the transport solvers (native/metrics/transport_solver.h):
//   tortuosity(labels: Uint8Array, shape: [nz, ny, nx], label, options, control?: Int32Array) -> Promise<object>
//   permeability(labels: Uint8Array, shape: [nz, ny, nx], label, options, control?: Int32Array) -> Promise<object>
// TypeScript (src/metrics/native-transport.ts) validates everything first; the checks here only keep a wrong call
// from crashing the process. The solve runs on a libuv worker thread; `control` (flags[0] = cancel, flags[1] =
// progress in millionths) is shared with the caller, who polls progress and sets cancel. Errors carry `code`.
#include <napi.h>

#include <string>

#include "core/control.h"
#include "core/parallel.h"
#include "core/status.h"
#include "metrics/transport_solver.h"

namespace {

Napi::Error transport_error(Napi::Env env, mr::Code code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, mr::code_name(code)));
  return err;
}

double number_or(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

// Arguments common to both solvers; keeps the typed arrays alive while the worker runs.
struct SolveArgs {
  mr::LabelVolume vol{};
  int label = 0;
  Napi::Object options;
  mr::Control control;
  Napi::ObjectReference labels_ref, control_ref;
};

bool parse_args(const Napi::CallbackInfo& info, const char* name, SolveArgs& a) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& why) {
    transport_error(env, mr::Code::InvalidArgument, std::string(name) + ": " + why).ThrowAsJavaScriptException();
    return false;
  };
  if (info.Length() < 4) return fail("expected (labels, shape, label, options[, control])");
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return fail("labels must be a Uint8Array");
  if (!info[1].IsArray() || info[1].As<Napi::Array>().Length() != 3) return fail("shape must be [nz, ny, nx]");
  if (!info[2].IsNumber()) return fail("label must be a number");
  if (!info[3].IsObject()) return fail("options must be an object");
  Napi::Uint8Array labels = info[0].As<Napi::Uint8Array>();
  Napi::Array shape = info[1].As<Napi::Array>();
  int64_t dims[3];
  for (uint32_t i = 0; i < 3; ++i) {
    Napi::Value d = shape.Get(i);
    if (!d.IsNumber()) return fail("shape must hold numbers");
    const double v = d.As<Napi::Number>().DoubleValue();
    if (!(v >= 1) || v != static_cast<double>(static_cast<int64_t>(v))) return fail("shape must hold positive integers");
    dims[i] = static_cast<int64_t>(v);
  }
  if (static_cast<double>(labels.ElementLength()) != double(dims[0]) * double(dims[1]) * double(dims[2]))
    return fail("labels.length does not match the shape");
  a.vol = mr::LabelVolume{labels.Data(), dims[0], dims[1], dims[2]};
  a.label = info[2].As<Napi::Number>().Int32Value();
  a.options = info[3].As<Napi::Object>();
  a.labels_ref = Napi::Persistent(labels.As<Napi::Object>());
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
    if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[4].As<Napi::Int32Array>().ElementLength() < 2)
      return fail("control must be an Int32Array of length >= 2");
    Napi::Int32Array c = info[4].As<Napi::Int32Array>();
    a.control.flags = c.Data();
    a.control_ref = Napi::Persistent(c.As<Napi::Object>());
  }
  return true;
}

class TortuosityWorker : public Napi::AsyncWorker {
 public:
  TortuosityWorker(Napi::Env env, SolveArgs&& a, const mr::TortuosityOptions& opt)
      : Napi::AsyncWorker(env, "microrecon.tortuosity"),
        deferred_(Napi::Promise::Deferred::New(env)),
        vol_(a.vol),
        label_(a.label),
        opt_(opt),
        control_(a.control),
        labels_ref_(std::move(a.labels_ref)),
        control_ref_(std::move(a.control_ref)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  // Under a fixed floating-point mode: the same bits whichever libuv thread runs the solve.
  void Execute() override {
    mr::FlushDenormalsScope fp;
    status_ = mr::tortuosity(vol_, label_, opt_, control_, &result_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!status_.ok()) {
      deferred_.Reject(transport_error(env, status_.code, status_.message).Value());
      return;
    }
    const mr::TortuosityResult& r = result_;
    Napi::Object o = Napi::Object::New(env);
    o.Set("percolates", r.percolates);
    o.Set("relativeDiffusivity", r.relative_diffusivity);
    o.Set("phaseVoxels", static_cast<double>(r.phase_voxels));
    o.Set("connectedVoxels", static_cast<double>(r.connected_voxels));
    o.Set("flux", r.flux);
    o.Set("fluxIn", r.flux_in);
    o.Set("fluxOut", r.flux_out);
    o.Set("iterations", static_cast<double>(r.iterations));
    o.Set("residual", r.residual);
    o.Set("converged", r.converged);
    o.Set("levels", r.levels);
    o.Set("setupSeconds", r.setup_seconds);
    o.Set("solveSeconds", r.solve_seconds);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  mr::LabelVolume vol_;
  int label_;
  mr::TortuosityOptions opt_;
  mr::Control control_;
  Napi::ObjectReference labels_ref_, control_ref_;
  mr::Status status_;
  mr::TortuosityResult result_;
};

class PermeabilityWorker : public Napi::AsyncWorker {
 public:
  PermeabilityWorker(Napi::Env env, SolveArgs&& a, const mr::PermeabilityOptions& opt)
      : Napi::AsyncWorker(env, "microrecon.permeability"),
        deferred_(Napi::Promise::Deferred::New(env)),
        vol_(a.vol),
        label_(a.label),
        opt_(opt),
        control_(a.control),
        labels_ref_(std::move(a.labels_ref)),
        control_ref_(std::move(a.control_ref)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    mr::FlushDenormalsScope fp;
    status_ = mr::permeability(vol_, label_, opt_, control_, &result_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!status_.ok()) {
      deferred_.Reject(transport_error(env, status_.code, status_.message).Value());
      return;
    }
    const mr::PermeabilityResult& r = result_;
    Napi::Object o = Napi::Object::New(env);
    o.Set("percolates", r.percolates);
    o.Set("permeability", r.permeability);
    o.Set("porosity", r.porosity);
    o.Set("fluidNodes", static_cast<double>(r.fluid_nodes));
    o.Set("steps", static_cast<double>(r.steps));
    o.Set("change", r.change);
    o.Set("converged", r.converged);
    o.Set("darcyVelocity", r.darcy_velocity);
    o.Set("pressureGradient", r.pressure_gradient);
    o.Set("viscosity", r.viscosity);
    o.Set("seconds", r.seconds);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  mr::LabelVolume vol_;
  int label_;
  mr::PermeabilityOptions opt_;
  mr::Control control_;
  Napi::ObjectReference labels_ref_, control_ref_;
  mr::Status status_;
  mr::PermeabilityResult result_;
};

Napi::Value Tortuosity(const Napi::CallbackInfo& info) {
  SolveArgs a;
  if (!parse_args(info, "tortuosity", a)) return info.Env().Undefined();
  mr::TortuosityOptions opt;
  opt.axis = static_cast<int>(number_or(a.options, "axis", 0));
  opt.tolerance = number_or(a.options, "tolerance", opt.tolerance);
  opt.max_iterations = static_cast<int64_t>(number_or(a.options, "maxIterations", 0));
  opt.initial_guess = static_cast<int>(number_or(a.options, "initialGuess", 0));
  opt.preconditioner = static_cast<int>(number_or(a.options, "preconditioner", 1));
  auto* w = new TortuosityWorker(info.Env(), std::move(a), opt);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value Permeability(const Napi::CallbackInfo& info) {
  SolveArgs a;
  if (!parse_args(info, "permeability", a)) return info.Env().Undefined();
  mr::PermeabilityOptions opt;
  opt.axis = static_cast<int>(number_or(a.options, "axis", 0));
  opt.reservoir_layers = static_cast<int>(number_or(a.options, "reservoirLayers", opt.reservoir_layers));
  opt.periodic_sides = number_or(a.options, "periodicSides", 0) != 0;
  opt.tolerance = number_or(a.options, "tolerance", opt.tolerance);
  opt.max_steps = static_cast<int64_t>(number_or(a.options, "maxSteps", 0));
  opt.check_every = static_cast<int>(number_or(a.options, "checkEvery", opt.check_every));
  opt.tau = number_or(a.options, "tau", opt.tau);
  auto* w = new PermeabilityWorker(info.Env(), std::move(a), opt);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void register_transport(Napi::Env env, Napi::Object exports) {
  exports.Set("tortuosity", Napi::Function::New(env, Tortuosity));
  exports.Set("permeability", Napi::Function::New(env, Permeability));
}
