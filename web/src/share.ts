// The whole scenario in the page's URL fragment: UTF-8, deflate-raw (the browser's own
// CompressionStream), base64url. The fragment never leaves the machine (browsers do not send it).
const PREFIX = 's=';

async function pump(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64url(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `s=…`: the fragment (without `#`) that carries `text`. */
export async function encodeFragment(text: string): Promise<string> {
  const z = await pump(new TextEncoder().encode(text), new CompressionStream('deflate-raw'));
  return PREFIX + toBase64url(z);
}

/** The scenario in a fragment, undefined when it carries none; throws on a damaged one. */
export async function decodeFragment(hash: string): Promise<string | undefined> {
  const h = hash.replace(/^#/, '');
  if (!h.startsWith(PREFIX)) return undefined;
  const z = fromBase64url(h.slice(PREFIX.length));
  // A link cannot make the page inflate without bound: 4 MiB of scenario at most.
  const text = new TextDecoder().decode(await pump(z, new DecompressionStream('deflate-raw')));
  if (text.length > 4 * 1024 * 1024) throw new Error('the shared scenario is larger than 4 MiB');
  return text;
}
