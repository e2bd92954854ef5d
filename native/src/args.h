// What every export file shares around its functions: unwrapping a numeric argument with a check
// (a wrong value is a TorchError naming the argument, never an out-of-range enum handed to
// LibTorch), and the export table — one line per export, each function already inside FACELAB_GUARD.
#pragma once
#include <c10/core/ScalarType.h>
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "guard.h"

namespace facelab {

// An integer argument in [lo, hi]; `what` names it in the error.
inline int64_t intArg(Napi::Env env, const Napi::Value& v, const char* what, int64_t lo, int64_t hi) {
  if (!v.IsNumber()) throwTorchError(env, "TypeError", std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(std::floor(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi)))
    throwTorchError(env, "ValueError",
                    std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                        Napi::Number::New(env, d).ToString().Utf8Value());
  return static_cast<int64_t>(d);
}

// A dtype code (src/torch/dtype.ts numbers dtypes as c10::ScalarType does).
inline c10::ScalarType scalarTypeArg(Napi::Env env, const Napi::Value& v, const char* what) {
  constexpr int64_t last = static_cast<int64_t>(c10::ScalarType::NumOptions) - 1;
  return static_cast<c10::ScalarType>(intArg(env, v, what, 0, last));
}

struct Export {
  const char* name;
  Napi::Value (*fn)(const Napi::CallbackInfo&);
};

inline void setExports(Napi::Env env, Napi::Object exports, std::initializer_list<Export> table) {
  for (const Export& e : table) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
}

}  // namespace facelab
