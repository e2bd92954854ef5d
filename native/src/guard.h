// Error translation: every export runs inside FACELAB_GUARD so that no C++ exception can
// cross into V8 (an uncaught c10::Error aborts the process). c10 errors lose their backtrace.
#pragma once
#include <napi.h>
#include <c10/util/Exception.h>
#include <string>

namespace facelab {

// Throws a JS Error whose name is TorchError (or a subclass name) with a clean message.
[[noreturn]] void throwTorchError(Napi::Env env, const std::string& kind, const std::string& message);

}  // namespace facelab

#define FACELAB_GUARD(env, ...)                                                    \
  try {                                                                            \
    __VA_ARGS__                                                                    \
  } catch (const Napi::Error&) {                                                   \
    throw;                                                                         \
  } catch (const c10::IndexError& e) {                                             \
    facelab::throwTorchError(env, "IndexError", e.what_without_backtrace());       \
  } catch (const c10::ValueError& e) {                                             \
    facelab::throwTorchError(env, "ValueError", e.what_without_backtrace());       \
  } catch (const c10::TypeError& e) {                                              \
    facelab::throwTorchError(env, "TypeError", e.what_without_backtrace());        \
  } catch (const c10::NotImplementedError& e) {                                    \
    facelab::throwTorchError(env, "NotImplementedError", e.what_without_backtrace()); \
  } catch (const c10::Error& e) {                                                  \
    facelab::throwTorchError(env, "Error", e.what_without_backtrace());            \
  } catch (const std::bad_alloc&) {                                                \
    facelab::throwTorchError(env, "OutOfMemoryError", "out of memory");            \
  } catch (const std::exception& e) {                                              \
    facelab::throwTorchError(env, "Error", e.what());                              \
  } catch (...) {                                                                  \
    facelab::throwTorchError(env, "Error", "unknown native exception");            \
  }
