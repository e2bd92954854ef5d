#include "handle.h"
#include "guard.h"

namespace facelab {

std::atomic<int64_t> liveTensorCount{0};
static const napi_type_tag kTensorTag = {0x6661636574656e73ULL, 0x6f72686e646c6531ULL};

static int64_t storageBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage() || !t.device().is_cpu()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

void disposeSlot(Napi::BasicEnv env, Slot* slot) {
  if (slot->tensor == nullptr) return;
  delete slot->tensor;
  slot->tensor = nullptr;
  liveTensorCount--;
  if (slot->accounted != 0) {
    int64_t ignored;
    napi_adjust_external_memory(env, -slot->accounted, &ignored);
    slot->accounted = 0;
  }
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  auto* slot = new Slot{new at::Tensor(std::move(t)), 0};
  liveTensorCount++;
  slot->accounted = storageBytes(*slot->tensor);
  if (slot->accounted != 0) {
    int64_t ignored;
    napi_adjust_external_memory(env, slot->accounted, &ignored);
  }
  // A basic finalizer (no JS calls) runs inside GC; one taking Napi::Env would be queued until the
  // event loop turns, so a synchronous training loop would pile up every collected handle.
  auto ext = Napi::External<Slot>::New(env, slot, [](Napi::BasicEnv env, Slot* s) {
    disposeSlot(env, s);
    delete s;
  });
  napi_type_tag_object(env, ext, &kTensorTag);
  return ext;
}

bool isTensorHandle(const Napi::Value& v) {
  if (!v.IsExternal()) return false;
  bool ok = false;
  napi_check_object_type_tag(v.Env(), v, &kTensorTag, &ok);
  return ok;
}

at::Tensor& unwrapTensor(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!isTensorHandle(v)) throwTorchError(env, "TypeError", std::string("expected a Tensor for ") + what);
  Slot* slot = v.As<Napi::External<Slot>>().Data();
  if (slot->tensor == nullptr)
    throwTorchError(env, "DisposedError", std::string("tensor passed as ") + what + " has already been disposed");
  return *slot->tensor;
}

void throwTorchError(Napi::Env env, const std::string& kind, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("name", Napi::String::New(env, "TorchError"));
  err.Set("kind", Napi::String::New(env, kind));
  throw err;
}

}  // namespace facelab
