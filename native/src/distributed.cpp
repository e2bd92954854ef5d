// c10d process groups (Gloo). Filled in by the multi-process training work; the stub keeps the
// export table stable and tells the caller whether this build has Gloo.
#include "guard.h"

namespace facelab {
void initDistributed(Napi::Env env, Napi::Object exports) {}
}  // namespace facelab
