/**
 * A small seeded PRNG for weights, noise and training randomness: xoshiro128** (Blackman & Vigna), seeded through
 * splitmix32, with Box-Muller normals. Same seed -> same stream on every platform (pure 32-bit integer math).
 * The state (four words plus the cached normal) can be saved and restored for exact resume.
 */
import { InvalidArgumentError } from '../core/errors.js';

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export interface RandomState {
  /** the four xoshiro128** words */
  s: [number, number, number, number];
  /** the second Box-Muller value, when one is waiting */
  spare: number | null;
}

export class Random {
  #s = new Uint32Array(4);
  #spare: number | null = null;

  /** `seed`: any safe integer (both 32-bit halves are mixed in). */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
      throw new InvalidArgumentError(`Random: seed must be a safe integer, got ${JSON.stringify(seed)}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const st = { s: (lo ^ Math.imul(hi, 0x2545f491)) | 0 };
    for (let k = 0; k < 4; k++) this.#s[k] = splitmix32(st);
    if (!(this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3])) this.#s[0] = 1;
  }

  /** A derived, independent stream (e.g. one per layer or per training step). */
  fork(salt: number): Random {
    const r = new Random(0);
    const st = { s: (this.nextU32() ^ Math.imul(salt | 0, 0x9e3779b1)) | 0 };
    for (let k = 0; k < 4; k++) r.#s[k] = splitmix32(st) ^ this.nextU32();
    if (!(r.#s[0] | r.#s[1] | r.#s[2] | r.#s[3])) r.#s[0] = 1;
    return r;
  }

  /** Next uniform 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u <= Number.MIN_VALUE) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let k = 0; k < n; k++) a[k] = lo + (hi - lo) * this.uniform();
    return a;
  }

  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const a = new Float32Array(n);
    for (let k = 0; k < n; k++) a[k] = mean + std * this.normal();
    return a;
  }

  state(): RandomState {
    return { s: [this.#s[0], this.#s[1], this.#s[2], this.#s[3]], spare: this.#spare };
  }

  static fromState(st: RandomState): Random {
    if (!st || !Array.isArray(st.s) || st.s.length !== 4 || !st.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32))
      throw new InvalidArgumentError('Random.fromState: state must be { s: four uint32 words, spare: number | null }');
    const r = new Random(0);
    r.#s.set(st.s);
    r.#spare = typeof st.spare === 'number' && Number.isFinite(st.spare) ? st.spare : null;
    return r;
  }
}
