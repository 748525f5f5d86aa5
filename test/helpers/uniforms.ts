/**
 * Uniform numbers in [0, 1) from a 32-bit seed (mulberry32, Tommy Ettinger's 32-bit generator): the
 * same sequence at every run, for test and bench data.
 */
export function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
