#include "handle.h"
#include "guard.h"

namespace facelab {

std::atomic<int64_t> liveTensorCount{0};
static const napi_type_tag kTensorTag = {0x6661636574656e73ULL, 0x6f72686e646c6531ULL};

static int64_t storageBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage() || !t.device().is_cpu()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

// Frees one Slot. Called from dispose() or, for a forgotten handle, from the GC finalizer, which
// is a basic finalizer (no JS calls) and so runs inside the collection; one taking Napi::Env would
// be queued until the event loop turns, and a synchronous loop would pile up every collected handle.
static void releaseSlot(node_api_basic_env env, void* data, void* /*hint*/) {
  auto* slot = static_cast<Slot*>(data);
  if (slot->accounted != 0) {
    int64_t ignored;
    napi_adjust_external_memory(env, -slot->accounted, &ignored);
  }
  delete slot;
  liveTensorCount--;
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  int64_t bytes = storageBytes(t);
  Napi::Object handle = Napi::Object::New(env);
  // The tag goes on first and stays after dispose, so a disposed handle is still known as a tensor
  // handle (DisposedError, not TypeError). The wrap is the object's last property, which V8 removes
  // without giving the object a slow dictionary map.
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, handle, &kTensorTag), Napi::Value());
  auto* slot = new Slot{std::move(t), bytes};
  napi_status status = napi_wrap(env, handle, slot, releaseSlot, nullptr, nullptr);
  if (status != napi_ok) {
    delete slot;
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  liveTensorCount++;
  if (bytes != 0) {
    int64_t ignored;
    napi_adjust_external_memory(env, bytes, &ignored);
  }
  return handle;
}

bool isTensorHandle(const Napi::Value& v) {
  if (!v.IsObject()) return false;
  bool ok = false;
  napi_check_object_type_tag(v.Env(), v, &kTensorTag, &ok);
  return ok;
}

// The live Slot behind a tensor handle, or nullptr once it was disposed.
static Slot* slotOf(Napi::Env env, const Napi::Value& v) {
  void* data = nullptr;
  return napi_unwrap(env, v, &data) == napi_ok ? static_cast<Slot*>(data) : nullptr;
}

at::Tensor& unwrapTensor(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!isTensorHandle(v)) throwTorchError(env, "TypeError", std::string("expected a Tensor for ") + what);
  Slot* slot = slotOf(env, v);
  if (slot == nullptr)
    throwTorchError(env, "DisposedError", std::string("tensor passed as ") + what + " has already been disposed");
  return slot->tensor;
}

bool disposeHandle(Napi::Env env, const Napi::Value& v) {
  if (!isTensorHandle(v)) throwTorchError(env, "TypeError", "dispose() expects a Tensor handle");
  void* data = nullptr;
  // napi_remove_wrap deletes N-API's finalizer reference now; it fails once the wrap is gone.
  if (napi_remove_wrap(env, v, &data) != napi_ok) return false;
  releaseSlot(env, data, nullptr);
  return true;
}

bool isDisposedHandle(Napi::Env env, const Napi::Value& v) {
  if (!isTensorHandle(v)) throwTorchError(env, "TypeError", "isDisposed() expects a Tensor handle");
  return slotOf(env, v) == nullptr;
}

void throwTorchError(Napi::Env env, const std::string& kind, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("name", Napi::String::New(env, "TorchError"));
  err.Set("kind", Napi::String::New(env, kind));
  throw err;
}

}  // namespace facelab
