/**
 * The only file in src/io that touches the file system. Node's modules are imported lazily, inside the functions,
 * so that the byte-level codecs (and this module's import) also load in a browser bundle.
 */
import { InvalidArgumentError, OutOfMemoryError } from '../core/errors.js';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

async function nodeFs(): Promise<Fs> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new InvalidArgumentError('file paths need Node.js; in a browser pass the file bytes (Uint8Array) instead');
  }
}

async function nodePath(): Promise<Path> {
  return import('node:path');
}

function fsError(err: unknown, path: string, action: 'read' | 'write'): Error {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return new InvalidArgumentError(`${path}: no such file${action === 'write' ? ' or directory' : ''}`);
  if (code === 'EISDIR') return new InvalidArgumentError(`${path}: is a directory, not a file`);
  if (code === 'EACCES' || code === 'EPERM') return new InvalidArgumentError(`${path}: permission denied (${action})`);
  if (code === 'ERR_FS_FILE_TOO_LARGE' || err instanceof RangeError) {
    return new OutOfMemoryError(`${path}: file too large to ${action} in memory`);
  }
  return new InvalidArgumentError(`${path}: cannot ${action} (${(err as Error).message ?? String(err)})`);
}

export async function readBytes(path: string): Promise<Uint8Array> {
  const fs = await nodeFs();
  try {
    const buf = await fs.readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw fsError(e, path, 'read');
  }
}

/**
 * Writes parts to a temporary file beside `path`, then renames it over `path`: a failed write never leaves a
 * half-written file under the final name.
 */
export async function writeParts(path: string, parts: Uint8Array[]): Promise<void> {
  const fs = await nodeFs();
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      for (const p of parts) {
        let done = 0;
        while (done < p.length) done += (await fh.write(p, done, p.length - done)).bytesWritten;
      }
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw fsError(e, path, 'write');
  }
}

/** A path relative to a header file's folder (absolute paths pass through). */
export async function siblingPath(headerPath: string, file: string): Promise<string> {
  const p = await nodePath();
  return p.resolve(p.dirname(headerPath), file);
}

export async function baseName(path: string): Promise<string> {
  return (await nodePath()).basename(path);
}

let dataDir: string | undefined;

/** This module's file: import.meta.url in ESM (rollup also fills it in CJS bundles), __filename in other CJS. */
async function moduleFile(): Promise<string> {
  const url = (import.meta as { url?: unknown }).url;
  if (typeof url === 'string' && url.startsWith('file:')) return (await import('node:url')).fileURLToPath(url);
  if (typeof __filename === 'string') return __filename;
  throw new InvalidArgumentError('cannot locate the microrecon package: no module file path in this environment');
}

/**
 * The folder of sample data shipped with the package (`data/` at the package root). Found by walking up from this
 * module's file to the microrecon package.json, which works from src/ (tests), from dist/ (ESM or the CJS bundle,
 * where rollup rewrites import.meta.url) and from node_modules.
 */
export async function sampleDataDir(): Promise<string> {
  if (dataDir) return dataDir;
  const fs = await nodeFs();
  const p = await nodePath();
  let dir = p.dirname(await moduleFile());
  for (;;) {
    try {
      const pkg = JSON.parse(await fs.readFile(p.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'microrecon') {
        dataDir = p.join(dir, 'data');
        return dataDir;
      }
    } catch {
      // no package.json here: keep walking up
    }
    const up = p.dirname(dir);
    if (up === dir) throw new InvalidArgumentError('cannot find the microrecon package folder holding data/');
    dir = up;
  }
}

/** Full path of a bundled sample file, e.g. sampleDataPath('berea_crop48.tif'). See data/README.md for the list. */
export async function sampleDataPath(name: string): Promise<string> {
  if (typeof name !== 'string' || name === '' || /[\\/]|^\.\.?$/.test(name)) {
    throw new InvalidArgumentError(`sample data name must be a plain file name, got ${JSON.stringify(name)}`);
  }
  const p = await nodePath();
  const full = p.join(await sampleDataDir(), name);
  const fs = await nodeFs();
  try {
    await fs.access(full);
  } catch {
    const have = await fs.readdir(await sampleDataDir()).catch(() => [] as string[]);
    throw new InvalidArgumentError(
      `no sample data file ${JSON.stringify(name)}; available: ${have.filter((f) => !f.endsWith('.md')).join(', ')}`,
    );
  }
  return full;
}
