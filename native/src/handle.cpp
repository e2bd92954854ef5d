#include "handle.h"

#include <v8.h>

#include <cstring>

#include "guard.h"

namespace facelab {

std::atomic<int64_t> liveTensorCount{0};

// A handle is an object made from one ObjectTemplate with two internal fields: field 0 holds the
// address of kTensorTag (what marks it as a tensor handle; Node's own wrapped objects keep their
// embedder id there, never this address) and field 1 the Slot, or nullptr once disposed. Reading and
// writing internal fields costs a few loads and stores. N-API's equivalent, a type tag plus
// napi_wrap, stores both as private properties: two map transitions per created handle, two
// property lookups per argument and a map migration per dispose. With N-API the handle bookkeeping
// took ~1.3 µs of a ~3 µs op call (perf profile in bench/README.md "Per-op overhead").
static const int kTensorTag = 0;
static constexpr int kTagField = 0;
static constexpr int kSlotField = 1;

struct Slot;

struct IsolateData {
  v8::Isolate* isolate;
  v8::Global<v8::ObjectTemplate> handleTemplate;
  // Bytes of external memory released by GC finalizers, handed to V8 at the next handle event:
  // a weak callback may call no V8 API but Reset.
  int64_t pendingRelease = 0;
  // Every live Slot of this isolate, so that the tensors still held when its environment ends
  // (a worker thread exits) are freed then, as N-API frees its wrapped objects.
  Slot* live = nullptr;
};
// One per JS thread (main thread, or a worker_thread that loads the addon).
static thread_local IsolateData* isolateData = nullptr;

// napi_value is the address of a V8 handle slot (Node's JsValueFromV8LocalValue /
// V8LocalValueFromJsValue); initHandles() checks that before any handle is made.
static inline v8::Local<v8::Value> toV8(napi_value v) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(v), "N-API values and V8 locals differ in size");
  std::memcpy(static_cast<void*>(&local), &v, sizeof(v));
  return local;
}
static inline napi_value fromV8(v8::Local<v8::Value> local) {
  napi_value v;
  std::memcpy(&v, static_cast<void*>(&local), sizeof(v));
  return v;
}

static int64_t storageBytes(const at::Tensor& t) {
  if (!t.defined() || !t.has_storage() || !t.device().is_cpu()) return 0;
  return static_cast<int64_t>(t.storage().nbytes());
}

static void adjustExternal(IsolateData* d, int64_t delta) {
  delta -= d->pendingRelease;
  d->pendingRelease = 0;
  if (delta != 0) d->isolate->AdjustAmountOfExternalAllocatedMemory(delta);
}

// The tensor's record, reachable from its handle until dispose() or, for a handle the program
// forgot, until V8 collects the handle (the weak callback below).
struct Slot {
  at::Tensor tensor;
  int64_t accounted;  // bytes reported to V8 as external memory
  v8::Global<v8::Object> weak;
  Slot* prev;  // IsolateData::live list
  Slot* next;
};

static void link(IsolateData* d, Slot* s) {
  s->prev = nullptr;
  s->next = d->live;
  if (d->live != nullptr) d->live->prev = s;
  d->live = s;
}

static void unlink(IsolateData* d, Slot* s) {
  if (s->prev != nullptr) s->prev->next = s->next;
  else if (d != nullptr && d->live == s) d->live = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
}

// GC backstop for a forgotten handle. A first-pass weak callback runs inside the collection (a
// synchronous loop cannot pile up collected handles waiting for the event loop) and may touch no V8
// API but Reset; the external-memory release is therefore deferred.
static void onCollected(const v8::WeakCallbackInfo<Slot>& info) {
  Slot* slot = info.GetParameter();
  slot->weak.Reset();
  unlink(isolateData, slot);
  if (isolateData != nullptr) isolateData->pendingRelease += slot->accounted;
  delete slot;
  liveTensorCount--;
}

static inline v8::Local<v8::Object> asHandleObject(const Napi::Value& v, bool* ok) {
  v8::Local<v8::Value> local = toV8(v);
  *ok = false;
  if (local.IsEmpty() || !local->IsObject()) return {};
  v8::Local<v8::Object> obj = local.As<v8::Object>();
  // IsApiWrapper first: only API objects take GetAlignedPointerFromInternalField's fast path, which
  // reads the field without judging it (typed arrays also have two internal fields).
  if (!obj->IsApiWrapper() || obj->InternalFieldCount() != 2 ||
      obj->GetAlignedPointerFromInternalField(kTagField) != &kTensorTag)
    return {};
  *ok = true;
  return obj;
}

static inline Slot* slotOf(v8::Local<v8::Object> obj) {
  return static_cast<Slot*>(obj->GetAlignedPointerFromInternalField(kSlotField));
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  IsolateData* d = isolateData;
  v8::Isolate* isolate = d->isolate;
  v8::Local<v8::Object> obj;
  if (!d->handleTemplate.Get(isolate)->NewInstance(isolate->GetCurrentContext()).ToLocal(&obj))
    throwTorchError(env, "Error", "could not create a tensor handle");
  int64_t bytes = storageBytes(t);
  auto* slot = new Slot{std::move(t), bytes, {}, nullptr, nullptr};
  link(d, slot);
  obj->SetAlignedPointerInInternalField(kTagField, const_cast<int*>(&kTensorTag));
  obj->SetAlignedPointerInInternalField(kSlotField, slot);
  slot->weak.Reset(isolate, obj);
  slot->weak.SetWeak(slot, onCollected, v8::WeakCallbackType::kParameter);
  liveTensorCount++;
  if (bytes != 0 || d->pendingRelease != 0) adjustExternal(d, bytes);
  return Napi::Value(env, fromV8(obj));
}

bool isTensorHandle(const Napi::Value& v) {
  bool ok;
  asHandleObject(v, &ok);
  return ok;
}

at::Tensor& unwrapTensor(Napi::Env env, const Napi::Value& v, const char* what) {
  bool ok;
  v8::Local<v8::Object> obj = asHandleObject(v, &ok);
  if (!ok) throwTorchError(env, "TypeError", std::string("expected a Tensor for ") + what);
  Slot* slot = slotOf(obj);
  if (slot == nullptr)
    throwTorchError(env, "DisposedError", std::string("tensor passed as ") + what + " has already been disposed");
  return slot->tensor;
}

bool disposeHandle(Napi::Env env, const Napi::Value& v) {
  bool ok;
  v8::Local<v8::Object> obj = asHandleObject(v, &ok);
  if (!ok) throwTorchError(env, "TypeError", "dispose() expects a Tensor handle");
  Slot* slot = slotOf(obj);
  if (slot == nullptr) return false;
  obj->SetAlignedPointerInInternalField(kSlotField, nullptr);
  slot->weak.Reset();  // no finalizer will run for this handle any more
  unlink(isolateData, slot);
  int64_t bytes = slot->accounted;
  delete slot;
  liveTensorCount--;
  if (bytes != 0 || isolateData->pendingRelease != 0) adjustExternal(isolateData, -bytes);
  return true;
}

bool isDisposedHandle(Napi::Env env, const Napi::Value& v) {
  bool ok;
  v8::Local<v8::Object> obj = asHandleObject(v, &ok);
  if (!ok) throwTorchError(env, "TypeError", "isDisposed() expects a Tensor handle");
  return slotOf(obj) == nullptr;
}

void throwTorchError(Napi::Env env, const std::string& kind, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("name", Napi::String::New(env, "TorchError"));
  err.Set("kind", Napi::String::New(env, kind));
  throw err;
}

void initHandles(Napi::Env env) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  // The handle code reads N-API values as V8 locals; prove it on a live object before relying on it.
  Napi::Object probe = Napi::Object::New(env);
  probe.Set("facelabProbe", Napi::Number::New(env, 42));
  v8::Local<v8::Value> local = toV8(probe);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> got;
  bool same = !local.IsEmpty() && local->IsObject() &&
              local.As<v8::Object>()
                  ->Get(context, v8::String::NewFromUtf8Literal(isolate, "facelabProbe"))
                  .ToLocal(&got) &&
              got->IsNumber() && got.As<v8::Number>()->Value() == 42;
  if (!same)
    throwTorchError(env, "Error",
                    "facelab's tensor handles need N-API values to be V8 handles, which this Node.js build does not use");
  if (isolateData == nullptr) {
    auto* d = new IsolateData{isolate, {}, 0};
    v8::Local<v8::ObjectTemplate> tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(2);
    d->handleTemplate.Reset(isolate, tmpl);
    isolateData = d;
    // A worker thread's isolate goes away with its environment: free the tensors its handles still
    // hold and forget the template.
    napi_add_env_cleanup_hook(
        env,
        [](void* p) {
          auto* data = static_cast<IsolateData*>(p);
          while (Slot* slot = data->live) {
            data->live = slot->next;
            slot->weak.Reset();
            delete slot;
            liveTensorCount--;
          }
          data->handleTemplate.Reset();
          if (isolateData == data) isolateData = nullptr;
          delete data;
        },
        d);
  }
}

}  // namespace facelab
