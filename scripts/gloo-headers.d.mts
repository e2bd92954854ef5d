// Types of scripts/gloo-headers.mjs (a plain .mjs so build-native.mjs runs before any TypeScript tooling).
export declare const SYSTEM_INCLUDES: string[];
export declare function glooHeaders(
  include: string,
  source: string,
  env?: Record<string, string | undefined>,
  systemIncludes?: string[],
): { dir?: string; why?: string; error?: string };
