// One heap at::Tensor per JS handle. A handle is a Napi::External<Slot>; dispose() frees the
// tensor at once, the finalizer is only a backstop for handles the program forgot.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <atomic>

namespace facelab {

struct Slot {
  at::Tensor* tensor;
  int64_t accounted;  // bytes reported to V8 through napi_adjust_external_memory
};

extern std::atomic<int64_t> liveTensorCount;

Napi::Value wrapTensor(Napi::Env env, at::Tensor t);
// Returns the tensor behind a handle; throws a TypeError naming `what` if v is not a live handle.
at::Tensor& unwrapTensor(Napi::Env env, const Napi::Value& v, const char* what);
bool isTensorHandle(const Napi::Value& v);
void disposeSlot(Napi::BasicEnv env, Slot* slot);

}  // namespace facelab
