/**
 * A multi-page TIFF written one z slice at a time (bounded memory): each page's strips and IFD are appended, and the
 * previous IFD's next-page field is patched in place. Same layout and tags as src/io's encodeTiff (page 0 carries
 * the JSON description with shape and labels that readVolume restores), so the files read back identically. The
 * file is written under a temporary name and renamed when complete (a stopped run leaves no half file).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { encodeTiff } from '../io/tiff-write.js';

export class TiffStreamWriter {
  #fh: import('node:fs/promises').FileHandle | null = null;
  #tmp = '';
  #offset = 0;
  #prevNextField = 4;
  #pages = 0;
  readonly path: string;
  readonly shape: [number, number, number];
  readonly labels?: number[];
  #description: string;

  constructor(path: string, shape: [number, number, number], labels?: number[]) {
    this.path = path;
    this.shape = shape;
    this.labels = labels;
    this.#description = JSON.stringify({ shape, ...(labels ? { labels } : {}) });
  }

  async open(): Promise<void> {
    const fs = await import('node:fs/promises');
    this.#tmp = `${this.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      this.#fh = await fs.open(this.#tmp, 'w');
    } catch (err) {
      throw new InvalidArgumentError(`${this.path}: cannot write (${(err as Error).message})`);
    }
    const header = new Uint8Array(8);
    header.set([0x49, 0x49, 42, 0]);
    await this.#write(header);
  }

  async #write(b: Uint8Array, at?: number): Promise<void> {
    let done = 0;
    while (done < b.length) done += (await this.#fh!.write(b, done, b.length - done, at === undefined ? null : at + done)).bytesWritten;
    if (at === undefined) this.#offset += b.length;
  }

  /** Appends slice z (phase indices, y*x, written as the file values in `labels`). */
  async writeSlice(phases: Uint8Array): Promise<void> {
    const [nz, ny, nx] = this.shape;
    if (!this.#fh) throw new InvalidArgumentError('TiffStreamWriter: open() first');
    if (this.#pages >= nz) throw new InvalidArgumentError(`TiffStreamWriter: already wrote ${nz} pages`);
    if (phases.length !== ny * nx) throw new InvalidArgumentError(`TiffStreamWriter: a slice has ${ny * nx} values, got ${phases.length}`);
    const vals = this.labels ? phases.map((p) => this.labels![p] ?? p) : phases;
    // encode one page with the io module's writer, then relocate its offsets to where it lands in this file
    const parts = encodeTiff(vals, [1, ny, nx], { compression: 'deflate', ...(this.#pages === 0 ? { description: this.#description } : {}) });
    const page = concat(parts.slice(1));
    const ifdRel = new DataView(parts[0].buffer, parts[0].byteOffset).getUint32(4, true) - 8;
    if (this.#offset % 2) await this.#write(new Uint8Array(1));
    const at = this.#offset;
    relocate(page, ifdRel, at - 8);
    await this.#write(page);
    const ifdAt = at + ifdRel;
    const link = new Uint8Array(4);
    new DataView(link.buffer).setUint32(0, ifdAt, true);
    await this.#write(link, this.#prevNextField);
    const count = new DataView(page.buffer, page.byteOffset).getUint16(ifdRel, true);
    this.#prevNextField = ifdAt + 2 + count * 12;
    this.#pages++;
    if (this.#offset > 0xffffffff) throw new InvalidArgumentError('volume too large for a classic TIFF (over 4 GiB)');
  }

  /** Finishes the file (all pages written) and renames it into place. */
  async close(): Promise<void> {
    const fs = await import('node:fs/promises');
    if (!this.#fh) return;
    await this.#fh.close();
    this.#fh = null;
    if (this.#pages !== this.shape[0]) {
      await fs.rm(this.#tmp, { force: true });
      throw new InvalidArgumentError(`TiffStreamWriter: ${this.#pages} of ${this.shape[0]} pages written`);
    }
    await fs.rename(this.#tmp, this.path);
  }

  /** Removes the temporary file (a stopped or failed run). */
  async abort(): Promise<void> {
    const fs = await import('node:fs/promises');
    if (this.#fh) await this.#fh.close().catch(() => {});
    this.#fh = null;
    await fs.rm(this.#tmp, { force: true });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A one-page TIFF body (the file less its 8-byte header) with offsets computed for a header at 0, moved so that the
 * body starts at file offset 8 + delta: every out-of-line value pointer and every strip offset gets + delta.
 */
function relocate(body: Uint8Array, ifd: number, delta: number): void {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const n = v.getUint16(ifd, true);
  for (let i = 0; i < n; i++) {
    const p = ifd + 2 + i * 12;
    const tag = v.getUint16(p, true), type = v.getUint16(p + 2, true), count = v.getUint32(p + 4, true);
    const width = type === 3 ? 2 : type === 4 ? 4 : 1;
    const inline = count * width <= 4;
    const ptr = v.getUint32(p + 8, true);
    if (tag === 273) {
      if (inline) v.setUint32(p + 8, ptr + delta, true);
      else for (let k = 0; k < count; k++) v.setUint32(ptr - 8 + 4 * k, v.getUint32(ptr - 8 + 4 * k, true) + delta, true);
    }
    if (!inline) v.setUint32(p + 8, ptr + delta, true);
  }
}
