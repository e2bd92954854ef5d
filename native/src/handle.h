// One at::Tensor per JS handle. A handle is a small JS object whose internal fields mark it as a
// tensor handle and point at its native record (handle.cpp). dispose() frees everything native at
// once: the tensor, the record and its weak reference, so nothing of a disposed handle is left in
// glibc's heap (records left there until V8 collected them fragmented it: bench/README.md
// "Memory"). What remains is the empty JS object, a husk in V8's heap whose later collection runs
// no native code. The GC finalizer is only a backstop for handles the program forgot to dispose.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <atomic>

namespace facelab {

extern std::atomic<int64_t> liveTensorCount;

// Sets up handle creation for this thread's isolate; throws if the handle representation's
// assumption about N-API values does not hold. Called once by the module's Init.
void initHandles(Napi::Env env);

Napi::Value wrapTensor(Napi::Env env, at::Tensor t);
// Returns the tensor behind a handle; throws a TorchError (kind TypeError) naming `what` if v is not
// a tensor handle, or (kind DisposedError) if it was disposed.
at::Tensor& unwrapTensor(Napi::Env env, const Napi::Value& v, const char* what);
bool isTensorHandle(const Napi::Value& v);
// Frees the handle's tensor and records now. Returns false (and does nothing) if it was already
// disposed; throws a TorchError if v is not a tensor handle.
bool disposeHandle(Napi::Env env, const Napi::Value& v);
// Whether a tensor handle was disposed; throws a TorchError if v is not a tensor handle.
bool isDisposedHandle(Napi::Env env, const Napi::Value& v);

}  // namespace facelab
