// Node-API functions of the evaluation module's statistics (native/metrics). TypeScript (src/metrics/native-stats.ts)
// has validated the volume, shape and phase; this file moves the arrays in, runs the work on a libuv worker thread
// and turns the results into plain objects of numbers and Float64Arrays. Typed in src/metrics/native-metrics-binding.ts.
#include <napi.h>

#include <new>
#include <string>

#include "core/control.h"
#include "core/parallel.h"
#include "metrics/phase_stats.h"

void register_transport(Napi::Env env, Napi::Object exports);  // bindings/transport.cpp

namespace {

using mr::stats::Grid;

Napi::Error stats_error(Napi::Env env, mr::Code code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, mr::code_name(code)));
  return err;
}

bool fail(Napi::Env env, const std::string& message) {
  stats_error(env, mr::Code::InvalidArgument, message).ThrowAsJavaScriptException();
  return false;
}

// A Uint8Array of labels and its [z, y, x] shape; keeps the array alive while the worker runs.
struct VolumeArg {
  const uint8_t* data = nullptr;
  Grid g;
  Napi::ObjectReference ref;
};

bool read_volume(Napi::Env env, Napi::Value data, Napi::Value shape, const char* what, VolumeArg* out) {
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return fail(env, std::string(what) + " must be a Uint8Array");
  if (!shape.IsArray() || shape.As<Napi::Array>().Length() != 3) return fail(env, "shape must be [z, y, x]");
  Napi::Array s = shape.As<Napi::Array>();
  int64_t d[3];
  for (uint32_t i = 0; i < 3; ++i) {
    Napi::Value v = s.Get(i);
    if (!v.IsNumber() || v.As<Napi::Number>().Int64Value() < 1) return fail(env, "shape entries must be >= 1");
    d[i] = v.As<Napi::Number>().Int64Value();
  }
  Napi::Uint8Array a = data.As<Napi::Uint8Array>();
  out->g = Grid{d[0], d[1], d[2]};
  if (int64_t(a.ElementLength()) != out->g.size()) return fail(env, std::string(what) + " length does not match shape");
  out->data = a.Data();
  out->ref = Napi::Persistent(a.As<Napi::Object>());
  return true;
}

// Optional Int32Array(2) control block (native/core/control.h).
bool read_control(Napi::Env env, Napi::Value v, mr::Control* ctl, Napi::ObjectReference* ref) {
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      v.As<Napi::Int32Array>().ElementLength() < 2)
    return fail(env, "control must be an Int32Array of length 2");
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  ctl->flags = a.Data();
  *ref = Napi::Persistent(a.As<Napi::Object>());
  return true;
}

double number_or(Napi::Object o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

template <typename T>
Napi::Float64Array f64(Napi::Env env, const std::vector<T>& v) {
  Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = double(v[i]);
  return a;
}

Napi::Array triple(Napi::Env env, const std::array<double, 3>& v) {
  Napi::Array a = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) a.Set(i, v[i]);
  return a;
}

// Runs `work` on a worker thread; `build` makes the JS result from the filled state.
class StatsWorker : public Napi::AsyncWorker {
 public:
  explicit StatsWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "microrecon.stats"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    mr::FlushDenormalsScope fp;  // results must not depend on what this libuv thread ran before
    try {
      status_ = work();
    } catch (const std::bad_alloc&) {
      status_ = mr::Error(mr::Code::OutOfMemory, "out of memory");
    } catch (const std::exception& e) {
      status_ = mr::Error(mr::Code::Internal, e.what());
    }
  }
  void OnOK() override {
    if (!status_.ok()) {
      deferred_.Reject(stats_error(Env(), status_.code, status_.message).Value());
      return;
    }
    deferred_.Resolve(build(Env()));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 protected:
  virtual mr::Status work() = 0;
  virtual Napi::Value build(Napi::Env env) = 0;

 private:
  Napi::Promise::Deferred deferred_;
  mr::Status status_;
};

class PhaseWorker : public StatsWorker {
 public:
  PhaseWorker(Napi::Env env, VolumeArg vol, uint8_t phase, mr::stats::PhaseStatsOptions opt, mr::Control ctl,
              Napi::ObjectReference ctl_ref)
      : StatsWorker(env), vol_(std::move(vol)), phase_(phase), opt_(opt), ctl_(ctl), ctl_ref_(std::move(ctl_ref)) {}

 protected:
  mr::Status work() override {
    return mr::stats::phase_stats(vol_.data, vol_.g, phase_, opt_, &r_, ctl_.flags ? &ctl_ : nullptr);
  }
  Napi::Value build(Napi::Env env) override {
    using namespace mr::stats;
    Napi::Object o = Napi::Object::New(env);
    o.Set("phaseVoxels", double(r_.phase_voxels));
    o.Set("volumeFraction", r_.fraction);
    if (r_.computed & kTwoPoint) {
      Napi::Array a = Napi::Array::New(env, 3);
      for (uint32_t i = 0; i < 3; ++i) a.Set(i, f64(env, r_.s2[i]));
      o.Set("twoPoint", a);
    }
    if (r_.computed & kRadial) {
      Napi::Object rad = Napi::Object::New(env);
      rad.Set("values", f64(env, r_.radial.value));
      rad.Set("pairs", f64(env, r_.radial.pairs));
      o.Set("radial", rad);
    }
    if (r_.computed & kLinealChord) {
      Napi::Array a = Napi::Array::New(env, 3);
      for (uint32_t i = 0; i < 3; ++i) {
        const AxisRuns& ax = r_.runs[i];
        Napi::Object e = Napi::Object::New(env);
        e.Set("lineal", f64(env, ax.lineal));
        e.Set("chords", f64(env, ax.chords));
        e.Set("chordCount", double(ax.chord_count));
        e.Set("boundaryRuns", double(ax.boundary_runs));
        e.Set("meanChord", ax.mean_chord);
        a.Set(i, e);
      }
      o.Set("runs", a);
    }
    if (r_.computed & kSurface) {
      Napi::Object s = Napi::Object::New(env);
      s.Set("faces", double(r_.surface.faces));
      s.Set("mesh", r_.surface.mesh);
      s.Set("meshCorrected", r_.surface.mesh_corrected);
      o.Set("surface", s);
    }
    if (r_.computed & kConnectivity) {
      Napi::Object c = Napi::Object::New(env);
      c.Set("components", double(r_.conn.components));
      c.Set("largest", double(r_.conn.largest));
      Napi::Array perc = Napi::Array::New(env, 3);
      for (uint32_t i = 0; i < 3; ++i) perc.Set(i, r_.conn.percolates[i]);
      c.Set("percolates", perc);
      c.Set("euler", double(r_.euler));
      o.Set("connectivity", c);
    }
    if (r_.computed & kThickness) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("defined", r_.thickness.defined);
      t.Set("counts", f64(env, r_.thickness.counts));
      t.Set("mean", r_.thickness.mean);
      t.Set("max", r_.thickness.max);
      o.Set("thickness", t);
    }
    if (r_.computed & kAnisotropy) {
      Napi::Object a = Napi::Object::New(env);
      const Fabric& f = r_.fabric;
      a.Set("defined", f.defined);
      a.Set("directions", f.directions);
      a.Set("degree", f.degree);
      a.Set("mil", triple(env, f.mil));
      Napi::Array axes = Napi::Array::New(env, 3);
      for (uint32_t i = 0; i < 3; ++i) axes.Set(i, triple(env, f.axes[i]));
      a.Set("axes", axes);
      a.Set("correlationLength", triple(env, r_.corr_length));
      a.Set("isotropic", r_.isotropic);
      o.Set("anisotropy", a);
    }
    return o;
  }

 private:
  VolumeArg vol_;
  uint8_t phase_;
  mr::stats::PhaseStatsOptions opt_;
  mr::Control ctl_;
  Napi::ObjectReference ctl_ref_;
  mr::stats::PhaseStats r_;
};

// phaseStatistics(labels, shape, phase, {metrics, maxLag: [x, y, z], radialMaxLag, directions}, control?)
Napi::Value PhaseStatistics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  VolumeArg vol;
  if (info.Length() < 4 || !read_volume(env, info[0], info[1], "labels", &vol)) {
    if (!env.IsExceptionPending()) fail(env, "phaseStatistics(labels, shape, phase, options, control?)");
    return env.Undefined();
  }
  if (!info[2].IsNumber() || info[2].As<Napi::Number>().Int32Value() < 0 ||
      info[2].As<Napi::Number>().Int32Value() > 255) {
    fail(env, "phase must be an integer in 0..255");
    return env.Undefined();
  }
  if (!info[3].IsObject()) {
    fail(env, "options must be an object");
    return env.Undefined();
  }
  Napi::Object o = info[3].As<Napi::Object>();
  mr::stats::PhaseStatsOptions opt;
  opt.metrics = static_cast<uint32_t>(number_or(o, "metrics", mr::stats::kAllMetrics));
  Napi::Value lag = o.Get("maxLag");
  if (lag.IsArray() && lag.As<Napi::Array>().Length() == 3)
    for (uint32_t i = 0; i < 3; ++i) opt.max_lag[i] = lag.As<Napi::Array>().Get(i).As<Napi::Number>().Int64Value();
  opt.radial_max = static_cast<int64_t>(number_or(o, "radialMaxLag", -1));
  opt.directions = static_cast<int>(number_or(o, "directions", 0));
  mr::Control ctl;
  Napi::ObjectReference ctl_ref;
  if (!read_control(env, info.Length() > 4 ? info[4] : env.Undefined(), &ctl, &ctl_ref)) return env.Undefined();
  auto* w = new PhaseWorker(env, std::move(vol), uint8_t(info[2].As<Napi::Number>().Int32Value()), opt, ctl,
                            std::move(ctl_ref));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

class CompareWorker : public StatsWorker {
 public:
  CompareWorker(Napi::Env env, VolumeArg a, VolumeArg b, int phases, mr::Control ctl, Napi::ObjectReference ref)
      : StatsWorker(env), a_(std::move(a)), b_(std::move(b)), phases_(phases), ctl_(ctl), ref_(std::move(ref)) {}

 protected:
  mr::Status work() override {
    return mr::stats::similarity(a_.data, b_.data, a_.g, phases_, &r_, mr::stats::Progress{ctl_.flags ? &ctl_ : nullptr});
  }
  Napi::Value build(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ssimGaussian", r_.ssim_gaussian);
    o.Set("ssimUniform", r_.ssim_uniform);
    o.Set("mse", r_.mse);
    return o;
  }

 private:
  VolumeArg a_, b_;
  int phases_;
  mr::Control ctl_;
  Napi::ObjectReference ref_;
  mr::stats::Similarity r_;
};

// compareVolumes(a, b, shape, phases, control?) -> {ssimGaussian, ssimUniform, mse}
Napi::Value CompareVolumes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  VolumeArg a, b;
  if (info.Length() < 4 || !read_volume(env, info[0], info[2], "a", &a) || !read_volume(env, info[1], info[2], "b", &b)) {
    if (!env.IsExceptionPending()) fail(env, "compareVolumes(a, b, shape, phases, control?)");
    return env.Undefined();
  }
  if (!info[3].IsNumber() || info[3].As<Napi::Number>().Int32Value() < 1 ||
      info[3].As<Napi::Number>().Int32Value() > 256) {
    fail(env, "phases must be an integer in 1..256");
    return env.Undefined();
  }
  mr::Control ctl;
  Napi::ObjectReference ref;
  if (!read_control(env, info.Length() > 4 ? info[4] : env.Undefined(), &ctl, &ref)) return env.Undefined();
  auto* w = new CompareWorker(env, std::move(a), std::move(b), info[3].As<Napi::Number>().Int32Value(), ctl,
                              std::move(ref));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

class CountWorker : public StatsWorker {
 public:
  CountWorker(Napi::Env env, VolumeArg v) : StatsWorker(env), v_(std::move(v)) {}

 protected:
  mr::Status work() override {
    mr::stats::label_counts(v_.data, v_.g.size(), counts_);
    return mr::Status::Ok();
  }
  Napi::Value build(Napi::Env env) override {
    Napi::Float64Array a = Napi::Float64Array::New(env, 256);
    for (int i = 0; i < 256; ++i) a[i] = double(counts_[i]);
    return a;
  }

 private:
  VolumeArg v_;
  int64_t counts_[256];
};

// labelCounts(labels, shape) -> Float64Array(256)
Napi::Value LabelCounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  VolumeArg v;
  if (info.Length() < 2 || !read_volume(env, info[0], info[1], "labels", &v)) {
    if (!env.IsExceptionPending()) fail(env, "labelCounts(labels, shape)");
    return env.Undefined();
  }
  auto* w = new CountWorker(env, std::move(v));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// statsConstants() -> the fixed numbers the statistics use (documented in the report).
Napi::Value StatsConstants(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("meshBias3d", mr::stats::mesh_bias(false));
  o.Set("meshBias2d", mr::stats::mesh_bias(true));
  o.Set("isotropicDA", mr::stats::kIsotropicDA);
  o.Set("isotropicRatio", mr::stats::kIsotropicRatio);
  return o;
}

}  // namespace

void register_metrics(Napi::Env env, Napi::Object exports) {
  exports.Set("phaseStatistics", Napi::Function::New(env, PhaseStatistics));
  exports.Set("compareVolumes", Napi::Function::New(env, CompareVolumes));
  exports.Set("labelCounts", Napi::Function::New(env, LabelCounts));
  exports.Set("statsConstants", Napi::Function::New(env, StatsConstants));
  register_transport(env, exports);
}
