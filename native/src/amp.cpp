// Mixed precision and device/back-end flags: LibTorch's autocast (thread-local, like PyTorch's
// torch.autocast), the deterministic-algorithms switch, cuDNN benchmark mode, CUDA synchronise.
// The 1.13 / 2.x autocast API differences are absorbed by compat.h (src/torch/autocast.ts).
#include <ATen/Context.h>

#include "args.h"
#include "compat.h"
#include "guard.h"

#ifdef FACELAB_HAS_CUDA
#include <torch/cuda.h>
#endif

namespace facelab {

static c10::DeviceType autocastDevice(Napi::Env env, const Napi::Value& v) {
  std::string d = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (d == "cpu") return c10::DeviceType::CPU;
  if (d == "cuda") return c10::DeviceType::CUDA;
  throwTorchError(env, "ValueError", "autocast device must be 'cpu' or 'cuda', got '" + d + "'");
}

// autocastEnter(device, dtypeCode, enabled = true) -> [prevEnabled, prevDtypeCode]: turns autocast
// on (or, nested, off) for the device type on this thread (PyTorch's torch.autocast.__enter__).
static Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto device = autocastDevice(env, info[0]);
    auto dtype = scalarTypeArg(env, info[1], "autocast dtype");
    if (dtype != at::kBFloat16 && dtype != at::kHalf && dtype != at::kFloat)
      throwTorchError(env, "ValueError", "autocast dtype must be bfloat16, float16 or float32");
    auto prev = Napi::Array::New(env, 2);
    prev.Set(0u, Napi::Boolean::New(env, compat::autocastEnabled(device)));
    prev.Set(1u, Napi::Number::New(env, static_cast<int>(compat::autocastDtype(device))));
    compat::setAutocastEnabled(device, info.Length() < 3 || info[2].ToBoolean().Value());
    compat::setAutocastDtype(device, dtype);
    at::autocast::increment_nesting();
    return prev;
  })
}

// autocastExit(device, prevEnabled, prevDtypeCode): restores the state autocastEnter returned;
// the outermost exit drops the cast cache (weights cast once per forward), as PyTorch does.
static Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto device = autocastDevice(env, info[0]);
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    compat::setAutocastEnabled(device, info[1].ToBoolean().Value());
    compat::setAutocastDtype(device, scalarTypeArg(env, info[2], "autocast dtype"));
    return env.Undefined();
  })
}

static Napi::Value AutocastState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto device = autocastDevice(env, info[0]);
    auto out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Boolean::New(env, compat::autocastEnabled(device)));
    out.Set(1u, Napi::Number::New(env, static_cast<int>(compat::autocastDtype(device))));
    return out;
  })
}

// setBackendFlags({deterministic?, cudnnBenchmark?}): torch.use_deterministic_algorithms and
// torch.backends.cudnn.benchmark/deterministic (both are process-wide in LibTorch).
static Napi::Value SetBackendFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto o = info[0].As<Napi::Object>();
    auto& ctx = at::globalContext();
    if (o.Has("deterministic")) {
      bool on = o.Get("deterministic").ToBoolean().Value();
      ctx.setDeterministicAlgorithms(on, false);
      ctx.setDeterministicCuDNN(on);
    }
    if (o.Has("cudnnBenchmark")) ctx.setBenchmarkCuDNN(o.Get("cudnnBenchmark").ToBoolean().Value());
    auto out = Napi::Object::New(env);
    out.Set("deterministic", Napi::Boolean::New(env, ctx.deterministicAlgorithms()));
    out.Set("cudnnBenchmark", Napi::Boolean::New(env, ctx.benchmarkCuDNN()));
    return out;
  })
}

static Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
#ifdef FACELAB_HAS_CUDA
    torch::cuda::synchronize(info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : -1);
#else
    throwTorchError(env, "DeviceError", "this facelab build has no CUDA (built against a CPU LibTorch)");
#endif
    return env.Undefined();
  })
}

void initAmp(Napi::Env env, Napi::Object exports) {
  setExports(env, exports, {
      {"autocastEnter", AutocastEnter},
      {"autocastExit", AutocastExit},
      {"autocastState", AutocastState},
      {"setBackendFlags", SetBackendFlags},
      {"cudaSynchronize", CudaSynchronize},
  });
}

}  // namespace facelab
