// Tensor creation from JS buffers, data out, metadata and autograd entry points.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <cstring>
#include <sstream>

#include "args.h"
#include "guard.h"
#include "handle.h"

namespace facelab {

static at::Tensor& T(const Napi::CallbackInfo& info, size_t i, const char* what = "self") {
  return unwrapTensor(info.Env(), info[i], what);
}

static std::vector<int64_t> toShape(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArray()) throwTorchError(env, "TypeError", "shape must be an array of integers");
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    double d = arr.Get(i).As<Napi::Number>().DoubleValue();
    if (d < 0 || std::floor(d) != d) throwTorchError(env, "ValueError", "shape entries must be non-negative integers");
    shape[i] = static_cast<int64_t>(d);
  }
  return shape;
}

// fromBuffer(typedArray, shape, dtypeCode) -> handle. The bytes are copied into LibTorch memory,
// so the JS buffer may be reused or collected at once.
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto ta = info[0].As<Napi::TypedArray>();
    auto shape = toShape(env, info[1]);
    auto dtype = scalarTypeArg(env, info[2], "dtype");
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    size_t bytes = t.numel() * t.element_size();
    if (bytes != ta.ByteLength())
      throwTorchError(env, "ValueError", "buffer holds " + std::to_string(ta.ByteLength()) + " bytes but shape needs " +
                                             std::to_string(bytes));
    auto* src = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    if (bytes) std::memcpy(t.data_ptr(), src, bytes);
    return wrapTensor(env, t);
  })
}

// toBuffer(handle) -> ArrayBuffer holding a contiguous CPU copy of the data.
static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    at::Tensor t = T(info, 0).detach().to(at::kCPU).contiguous();
    size_t bytes = t.numel() * t.element_size();
    auto ab = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
    return ab;
  })
}

// dataView(handle) -> ArrayBuffer over the tensor's own CPU memory (zero-copy). The buffer keeps the
// storage alive; it must only be used for reading, and is refused for non-contiguous or non-CPU tensors.
static Napi::Value DataView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    at::Tensor& t = T(info, 0);
    if (!t.device().is_cpu() || !t.is_contiguous())
      throwTorchError(env, "ValueError", "zero-copy view needs a contiguous CPU tensor; call contiguous()/to('cpu') first");
    auto* keep = new at::Tensor(t.detach());
    size_t bytes = keep->numel() * keep->element_size();
    if (bytes == 0) { delete keep; return Napi::ArrayBuffer::New(env, 0); }
    return Napi::ArrayBuffer::New(env, keep->data_ptr(), bytes, [](Napi::Env, void*, at::Tensor* k) { delete k; }, keep);
  })
}

// dispose(handle) -> true if it freed the tensor, false if the handle was already disposed.
static Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, { return Napi::Boolean::New(env, disposeHandle(env, info[0])); })
}

static Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, { return Napi::Boolean::New(env, isDisposedHandle(env, info[0])); })
}

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto sizes = T(info, 0).sizes();
    auto arr = Napi::Array::New(env, sizes.size());
    for (size_t i = 0; i < sizes.size(); i++) arr.Set(i, Napi::Number::New(env, static_cast<double>(sizes[i])));
    return arr;
  })
}

static Napi::Value Strides(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto st = T(info, 0).strides();
    auto arr = Napi::Array::New(env, st.size());
    for (size_t i = 0; i < st.size(); i++) arr.Set(i, Napi::Number::New(env, static_cast<double>(st[i])));
    return arr;
  })
}

static Napi::Value Dtype(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, { return Napi::Number::New(env, static_cast<int>(T(info, 0).scalar_type())); })
}

static Napi::Value Device(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, { return Napi::String::New(env, T(info, 0).device().str()); })
}

static Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto fmt = info.Length() > 1 && info[1].ToBoolean().Value() ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
    return Napi::Boolean::New(env, T(info, 0).is_contiguous(fmt));
  })
}

static Napi::Value Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    at::Tensor& t = T(info, 0);
    if (t.numel() != 1)
      throwTorchError(env, "ValueError", "item() needs a tensor with one element, got " + std::to_string(t.numel()));
    auto s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    return Napi::Number::New(env, s.toDouble());
  })
}

static Napi::Value ToString(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    std::ostringstream os;
    os << T(info, 0);
    return Napi::String::New(env, os.str());
  })
}

// ---- autograd -------------------------------------------------------------------------------

static Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, { return Napi::Boolean::New(env, T(info, 0).requires_grad()); })
}

static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    T(info, 0).requires_grad_(info[1].ToBoolean().Value());
    return env.Undefined();
  })
}

static Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, { return Napi::Boolean::New(env, T(info, 0).is_leaf()); })
}

static Napi::Value Grad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    const at::Tensor& g = T(info, 0).grad();
    if (!g.defined()) return env.Null();
    return wrapTensor(env, g);
  })
}

static Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    at::Tensor& t = T(info, 0);
    if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad() = at::Tensor();
    else t.mutable_grad() = T(info, 1, "grad");
    return env.Undefined();
  })
}

static Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    T(info, 0).retain_grad();
    return env.Undefined();
  })
}

// backward(outputs[], grads[] | null, retainGraph, createGraph)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto outs = info[0].As<Napi::Array>();
    std::vector<at::Tensor> tensors, grads;
    for (uint32_t i = 0; i < outs.Length(); i++) tensors.push_back(unwrapTensor(env, outs.Get(i), "outputs"));
    if (info[1].IsArray()) {
      auto g = info[1].As<Napi::Array>();
      for (uint32_t i = 0; i < g.Length(); i++) grads.push_back(unwrapTensor(env, g.Get(i), "gradient"));
    }
    for (const auto& t : tensors)
      if (!t.requires_grad())
        throwTorchError(env, "ValueError", "backward(): tensor does not require grad and has no grad_fn "
                                           "(was it created under noGrad, or are all its inputs constants?)");
    bool retain = info[2].ToBoolean().Value();
    bool create = info[3].ToBoolean().Value();
    torch::autograd::backward(tensors, grads, retain, create);
    return env.Undefined();
  })
}

// gradients(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused) -> (handle|null)[]
static Napi::Value Gradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    auto toVec = [&](const Napi::Value& v, const char* what) {
      std::vector<at::Tensor> out;
      if (!v.IsArray()) return out;
      auto a = v.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) out.push_back(unwrapTensor(env, a.Get(i), what));
      return out;
    };
    auto outs = toVec(info[0], "outputs");
    auto ins = toVec(info[1], "inputs");
    auto gos = toVec(info[2], "grad_outputs");
    auto res = torch::autograd::grad(outs, ins, gos, info[3].ToBoolean().Value(), info[4].ToBoolean().Value(),
                                     info[5].ToBoolean().Value());
    auto arr = Napi::Array::New(env, res.size());
    for (size_t i = 0; i < res.size(); i++) arr.Set(i, res[i].defined() ? wrapTensor(env, res[i]) : env.Null());
    return arr;
  })
}

static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = at::GradMode::is_enabled();
  at::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), prev);
}

static Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

void initTensor(Napi::Env env, Napi::Object exports) {
  setExports(env, exports, {
      {"fromBuffer", FromBuffer},
      {"toBuffer", ToBuffer},
      {"dataView", DataView},
      {"dispose", Dispose},
      {"isDisposed", IsDisposed},
      {"shape", Shape},
      {"strides", Strides},
      {"dtype", Dtype},
      {"device", Device},
      {"isContiguous", IsContiguous},
      {"item", Item},
      {"toString", ToString},
      {"requiresGrad", RequiresGrad},
      {"setRequiresGrad", SetRequiresGrad},
      {"isLeaf", IsLeaf},
      {"grad", Grad},
      {"setGrad", SetGrad},
      {"retainGrad", RetainGrad},
      {"backward", Backward},
      {"gradients", Gradients},
      {"setGradEnabled", SetGradEnabled},
      {"isGradEnabled", IsGradEnabled},
  });
}

}  // namespace facelab
