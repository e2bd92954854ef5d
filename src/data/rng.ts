// The data layer's seeded PRNG is src/torch's (one implementation; DESIGN.md lists it under torch/).
export { deriveSeed, mix32, mulberry32, Rng, seedOf, uniformStream } from "../torch/rng.js";
