// Generic ATen operator calls through the c10 dispatcher (boxed), so every aten:: op with its
// autograd support is reachable from TypeScript without one hand-written binding per op.
// JS arguments are converted by the operator's own schema; missing trailing arguments take
// the schema defaults.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/jit_type.h>

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "guard.h"
#include "handle.h"

namespace facelab {

// The op table is shared by every isolate that loads the addon (worker threads included): ids are
// handed out under a lock, one per distinct name.overload, into fixed slots that never move, and
// the count is published with release/acquire so call() reads a slot without taking the lock.
static constexpr size_t kMaxOps = 16384;
static std::atomic<const c10::OperatorHandle*> opSlots[kMaxOps];
static std::atomic<size_t> opCount{0};
static std::mutex opMutex;
static std::unordered_map<std::string, size_t>* opIds = new std::unordered_map<std::string, size_t>();

static const c10::OperatorHandle& opAt(Napi::Env env, const Napi::Value& v) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d < static_cast<double>(opCount.load(std::memory_order_acquire))) || std::nearbyint(d) != d)
    throwTorchError(env, "ValueError", "unknown operator id " + std::to_string(d) + " (ids come from opId())");
  return *opSlots[static_cast<size_t>(d)].load(std::memory_order_relaxed);
}

static c10::Device toDevice(Napi::Env env, const Napi::Value& v) {
  return c10::Device(v.As<Napi::String>().Utf8Value());
}

static c10::IValue toIValue(Napi::Env env, const Napi::Value& v, const c10::TypePtr& type,
                            const std::string& argName);

// Integers must be whole and within ±2^53 (exact in a JS number): LibTorch would silently truncate
// 2.5 to 2, and absurd sizes (groups = 2^62) reach kernels that divide by them and trap.
static int64_t toInt(Napi::Env env, const Napi::Value& v, const std::string& argName) {
  if (!v.IsNumber()) throwTorchError(env, "TypeError", "argument '" + argName + "' expects an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(std::nearbyint(d) == d) || std::abs(d) > 9007199254740992.0)
    throwTorchError(env, "ValueError", "argument '" + argName + "' expects an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

static c10::IValue toList(Napi::Env env, const Napi::Value& v, const c10::ListTypePtr& lt,
                          const std::string& argName) {
  auto elem = lt->getElementType();
  // A single number is accepted where PyTorch accepts int[N] given as one int (e.g. kernel_size=3).
  if (!v.IsArray()) {
    if (v.IsNumber() && (elem->kind() == c10::TypeKind::IntType || elem->kind() == c10::TypeKind::SymIntType))
      return c10::IValue(c10::List<int64_t>({toInt(env, v, argName)}));
    throwTorchError(env, "TypeError", "argument '" + argName + "' expects a list (" + lt->str() + ")");
  }
  auto arr = v.As<Napi::Array>();
  uint32_t n = arr.Length();
  switch (elem->kind()) {
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: {
      c10::List<int64_t> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; i++) {
        out.push_back(toInt(env, arr.Get(i), argName));
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::FloatType: {
      c10::List<double> out;
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value x = arr.Get(i);
        if (!x.IsNumber())
          throwTorchError(env, "TypeError", "argument '" + argName + "' expects a list of numbers; element " + std::to_string(i) + " is not a number");
        out.push_back(x.As<Napi::Number>().DoubleValue());
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::BoolType: {
      c10::List<bool> out;
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value x = arr.Get(i);
        if (!x.IsBoolean())
          throwTorchError(env, "TypeError", "argument '" + argName + "' expects a list of booleans; element " + std::to_string(i) + " is not a boolean");
        out.push_back(x.As<Napi::Boolean>().Value());
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::TensorType: {
      c10::List<at::Tensor> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; i++) out.push_back(unwrapTensor(env, arr.Get(i), argName.c_str()));
      return c10::IValue(out);
    }
    case c10::TypeKind::OptionalType: {
      c10::List<c10::optional<at::Tensor>> out;
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value x = arr.Get(i);
        if (x.IsNull() || x.IsUndefined()) out.push_back(c10::nullopt);
        else out.push_back(unwrapTensor(env, x, argName.c_str()));
      }
      return c10::IValue(out);
    }
    default:
      throwTorchError(env, "TypeError", "unsupported list type " + lt->str() + " for argument '" + argName + "'");
  }
}

static c10::IValue toIValue(Napi::Env env, const Napi::Value& v, const c10::TypePtr& type,
                            const std::string& argName) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(env, v, type->castRaw<c10::OptionalType>()->getElementType(), argName);
    case K::TensorType:
      return c10::IValue(unwrapTensor(env, v, argName.c_str()));
    case K::IntType:
    case K::SymIntType:
    case K::ScalarTypeType:
    case K::LayoutType:
    case K::MemoryFormatType:
      return c10::IValue(toInt(env, v, argName));
    case K::FloatType:
      if (!v.IsNumber()) throwTorchError(env, "TypeError", "argument '" + argName + "' expects a number");
      return c10::IValue(v.As<Napi::Number>().DoubleValue());
    case K::BoolType:
      if (!v.IsBoolean()) throwTorchError(env, "TypeError", "argument '" + argName + "' expects a boolean");
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case K::NumberType: {  // Scalar
      if (v.IsBoolean()) return c10::IValue(v.As<Napi::Boolean>().Value());
      if (!v.IsNumber()) throwTorchError(env, "TypeError", "argument '" + argName + "' expects a number");
      double d = v.As<Napi::Number>().DoubleValue();
      // Integral JS numbers become integer Scalars, as Python ints do, so integer tensors stay integer.
      if (std::nearbyint(d) == d && std::abs(d) < 9.007199254740992e15) return c10::IValue(static_cast<int64_t>(d));
      return c10::IValue(d);
    }
    case K::StringType:
      if (!v.IsString()) throwTorchError(env, "TypeError", "argument '" + argName + "' expects a string");
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case K::DeviceObjType:
      return c10::IValue(toDevice(env, v));
    case K::ListType:
      return toList(env, v, type->cast<c10::ListType>(), argName);
    case K::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      break;
    default:
      break;
  }
  throwTorchError(env, "TypeError", "unsupported argument type " + type->str() + " for '" + argName + "'");
}

static Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(i, wrapTensor(env, list.get(i)));
    return arr;
  }
  if (v.isTuple()) {
    auto& elems = v.toTupleRef().elements();
    auto arr = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) arr.Set(i, fromIValue(env, elems[i]));
    return arr;
  }
  if (v.isIntList()) {
    auto list = v.toIntList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(i, Napi::Number::New(env, static_cast<double>(list.get(i))));
    return arr;
  }
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  throwTorchError(env, "TypeError", std::string("unsupported return type ") + v.tagKind());
}

// opId(name, overload) -> integer id for call()
static Napi::Value OpId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    std::string key = name + "." + overload;
    std::lock_guard<std::mutex> lock(opMutex);
    auto known = opIds->find(key);
    if (known != opIds->end()) return Napi::Number::New(env, static_cast<double>(known->second));
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle.has_value())
      throwTorchError(env, "NotImplementedError", "no operator " + name + (overload.empty() ? "" : "." + overload) +
                                                      " in this LibTorch build");
    size_t id = opCount.load(std::memory_order_relaxed);
    if (id >= kMaxOps) throwTorchError(env, "Error", "operator table full (" + std::to_string(kMaxOps) + " operators)");
    opSlots[id].store(new c10::OperatorHandle(*handle), std::memory_order_relaxed);
    opCount.store(id + 1, std::memory_order_release);
    (*opIds)[key] = id;
    return Napi::Number::New(env, static_cast<double>(id));
  })
}

// schema(id) -> the operator's schema string (for error messages and docs)
static Napi::Value Schema(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    std::ostringstream os;
    os << opAt(env, info[0]).schema();
    return Napi::String::New(env, os.str());
  })
}

// call(id, ...args) -> result (Tensor handle, array for tuples/lists, number, boolean, null)
static Napi::Value Call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FACELAB_GUARD(env, {
    const auto& op = opAt(env, info[0]);
    const auto& schema = op.schema();
    const auto& args = schema.arguments();
    size_t given = info.Length() - 1;
    if (given > args.size())
      throwTorchError(env, "TypeError", schema.name() + " takes " + std::to_string(args.size()) + " arguments but " +
                                            std::to_string(given) + " were given");
    torch::jit::Stack stack;
    stack.reserve(args.size());
    for (size_t i = 0; i < args.size(); i++) {
      const auto& arg = args[i];
      Napi::Value v = i < given ? info[i + 1] : env.Undefined();
      if (v.IsUndefined()) {
        if (arg.default_value().has_value()) {
          stack.push_back(*arg.default_value());
          continue;
        }
        if (arg.type()->kind() != c10::TypeKind::OptionalType)
          throwTorchError(env, "TypeError", schema.name() + ": missing required argument '" + arg.name() + "'");
      }
      stack.push_back(toIValue(env, v, arg.real_type(), arg.name()));
    }
    op.callBoxed(&stack);
    if (stack.empty()) return env.Undefined();
    if (stack.size() == 1) return fromIValue(env, stack[0]);
    auto arr = Napi::Array::New(env, stack.size());
    for (size_t i = 0; i < stack.size(); i++) arr.Set(i, fromIValue(env, stack[i]));
    return arr;
  })
}

void initDispatch(Napi::Env env, Napi::Object exports) {
  setExports(env, exports, {
      {"opId", OpId},
      {"schema", Schema},
      {"call", Call},
  });
}

}  // namespace facelab
