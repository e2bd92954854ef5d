// The Gloo headers c10d's ProcessGroupGloo.hpp includes, for a LibTorch that ships that header
// (CPU multi-process training). PyTorch wheels and libtorch zips carry it but not Gloo's own headers
// (gloo/*.h): facelab borrows them from Debian's libgloo-dev — headers only, the Gloo code that runs
// is the one inside libtorch_cpu (README "Bring your own LibTorch / PyTorch"). Used by build-native.mjs.
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Where Gloo's headers are looked for after GLOO_INCLUDE_DIR and the LibTorch's own include folder. */
export const SYSTEM_INCLUDES = ["/usr/include", "/usr/local/include"];

/**
 * `include` is the LibTorch's include folder, `source` how it was found (for the message). Returns
 * { dir } (the folder holding gloo/config.h), { why } when the build goes without Gloo (a LibTorch
 * without it, or FACELAB_NO_GLOO=1), or { error } with the remedies when the headers are missing.
 */
export function glooHeaders(include, source, env = process.env, systemIncludes = SYSTEM_INCLUDES) {
  if (env.FACELAB_NO_GLOO === "1") return { why: "FACELAB_NO_GLOO=1 (CPU multi-process training off)" };
  if (!existsSync(join(include, "torch", "csrc", "distributed", "c10d", "ProcessGroupGloo.hpp")))
    return { why: `the LibTorch from ${source} has no c10d Gloo (CPU multi-process training off)` };
  const candidates = [env.GLOO_INCLUDE_DIR, include, ...systemIncludes].filter(Boolean);
  const dir = candidates.find((d) => existsSync(join(d, "gloo", "config.h")));
  if (dir) return { dir };
  return {
    error:
      `the LibTorch from ${source} has c10d Gloo (CPU multi-process training) but the Gloo headers it ` +
      `includes are missing (no gloo/config.h in ${candidates.join(", ")}); PyTorch wheels and libtorch ` +
      "zips do not ship them. Install them:\n" +
      "  apt-get install -y libgloo-dev              (Debian/Ubuntu: headers only)\n" +
      "  GLOO_INCLUDE_DIR=/path/with/gloo/config.h   (the include folder of a Gloo installation)\n" +
      "or build without CPU multi-process training: FACELAB_NO_GLOO=1",
  };
}
