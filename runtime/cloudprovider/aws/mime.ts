/**
 * MIME multipart user data, read and written with @zone-eu/mailsplit (the splitter behind nodemailer's mailparser):
 * it parses leniently, as cloud-init and nodeadm read user data (a missing closing delimiter, a preamble, CRLF
 * or LF), and gives back each part's header block and content exactly as written, so a node class's own parts are
 * copied into ours byte for byte, transfer encoding included.
 */
import { Readable } from 'node:stream';
import {
  Headers,
  Joiner,
  Splitter,
  type MessageChunk,
  type MimeNode,
  type SplitterChunk,
} from '@zone-eu/mailsplit';

export interface MimePart {
  /** The Content-Type header's value without parameters, lower-cased; text/plain when the part has none. */
  contentType: string;
  /** The part's header block as written (LF line ends), ending with the blank line that closes it. */
  head: string;
  /** The part's content, still in its Content-Transfer-Encoding. */
  body: string;
}

/** The boundary upstream writes; another is chosen only when a part's content holds a line that would end it. */
export const MIME_BOUNDARY = '//';

/** User data meant as a MIME document: it starts with a MIME header, as upstream and cloud-init tell them apart. */
export function isMimeDocument(text: string): boolean {
  return /^\s*(MIME-Version|Content-Type)\s*:/i.test(text);
}

/** A part of ours: a Content-Type header and the content. */
export function mimePart(contentType: string, body: string): MimePart {
  const headers = new Headers(false);
  headers.add('Content-Type', contentType);
  return { contentType: bareType(contentType), head: headers.build('\n').toString('utf8'), body };
}

function bareType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
}

async function split(text: string): Promise<SplitterChunk[]> {
  // message/rfc822 parts stay leaves: user data never carries mail, and a part's bytes are copied, not walked.
  const splitter = new Splitter({ ignoreEmbedded: true });
  const chunks: SplitterChunk[] = [];
  for await (const chunk of Readable.from([Buffer.from(text, 'utf8')]).pipe(splitter))
    chunks.push(chunk as SplitterChunk);
  return chunks;
}

function isNode(chunk: SplitterChunk): chunk is MimeNode {
  return chunk.type === 'node';
}

function bytesOf(chunk: SplitterChunk): Buffer {
  return isNode(chunk) ? chunk.getHeaders() : (chunk as MessageChunk).value;
}

/** One top-level part: its node and every chunk after it up to the next top-level part. */
function partOf(node: MimeNode, region: SplitterChunk[], boundary: string): MimePart {
  // A part without headers still needs the blank line that ends its (empty) header block.
  const head = node
    .getHeaders()
    .toString('utf8')
    .replace(/\n*$/, '\n\n')
    .replace(/^\n\n$/, '\n');
  let body: string;
  if (!node.multipart) {
    body = Buffer.concat(region.filter((c) => c.type === 'body').map(bytesOf)).toString('utf8');
  } else {
    // A nested multipart is copied whole, up to the line break that starts the outer delimiter.
    const raw = Buffer.concat(region.map(bytesOf)).toString('utf8');
    const end = raw.lastIndexOf(`\n--${boundary}`);
    body = end < 0 ? raw : raw.slice(0, end);
  }
  return { contentType: node.contentType || 'text/plain', head, body };
}

/**
 * The parts of a MIME document, in order. A single-part document is one part. `field` names the input in errors,
 * which say how to fix it.
 */
export async function parseMime(text: string, field: string): Promise<MimePart[]> {
  // LF line ends as upstream writes them; no blank line before the headers (it would end them); a final line
  // break, so a last "--boundary" line is a delimiter.
  const normalized = text.replace(/\r/g, '').replace(/^\s+/, '').replace(/\n?$/, '\n');
  let chunks: SplitterChunk[];
  try {
    chunks = await split(normalized);
  } catch (err) {
    throw new Error(
      `${field} is not a readable MIME document (${(err as Error).message}): fix its headers, or give a plain script without the MIME-Version and Content-Type lines`,
      { cause: err },
    );
  }
  const root = chunks.find(isNode);
  if (!root) throw new Error(`${field} has MIME headers but no content: add the parts, or remove userData`);
  if (!root.multipart) return [partOf(root, chunks.slice(chunks.indexOf(root) + 1), '')];
  const boundary = root._boundary ? root._boundary.toString('utf8') : '';
  const parts: MimePart[] = [];
  let current: { node: MimeNode; region: SplitterChunk[] } | undefined;
  const close = () => {
    if (!current) return;
    const part = partOf(current.node, current.region, boundary);
    // A trailing "--boundary" line with nothing after it opens an empty part; cloud-init and nodeadm skip it.
    if (part.head.trim() || part.body.trim()) parts.push(part);
  };
  for (const chunk of chunks) {
    if (isNode(chunk) && chunk.parentNode === root) {
      close();
      current = { node: chunk, region: [] };
    } else if (current) {
      current.region.push(chunk);
    }
  }
  close();
  if (parts.length === 0) {
    throw new Error(
      `${field} is MIME multipart but has no part delimited by its boundary "${boundary}": start each part with a "--${boundary}" line and end the document with "--${boundary}--"`,
    );
  }
  return parts;
}

/** A boundary that no part's content contains as a line of its own. */
function boundaryFor(parts: MimePart[]): string {
  const clashes = (b: string) => parts.some((p) => `\n${p.body}`.includes(`\n--${b}`));
  let boundary = MIME_BOUNDARY;
  for (let n = 1; clashes(boundary); n++) boundary = `${MIME_BOUNDARY}${n}`;
  return boundary;
}

/** A multipart/mixed document of the parts, in order, with LF line ends (as upstream writes user data). */
export async function serializeMime(parts: MimePart[]): Promise<string> {
  const boundary = boundaryFor(parts);
  const rootHeaders = new Headers(false);
  // add() inserts at the top: the last added comes first.
  rootHeaders.add('Content-Type', `multipart/mixed; boundary="${boundary}"`);
  rootHeaders.add('MIME-Version', '1.0');
  const data = (value: string) => ({ type: 'data', value: Buffer.from(value, 'utf8') });
  const chunks: unknown[] = [{ type: 'node', getHeaders: () => rootHeaders.build('\n') }];
  parts.forEach((p, i) => {
    chunks.push(data(`${i ? '\n' : ''}--${boundary}\n${p.head}`), data(p.body));
  });
  chunks.push(data(`\n--${boundary}--\n`));
  const out: Buffer[] = [];
  for await (const b of Readable.from(chunks).pipe(new Joiner())) out.push(b as Buffer);
  return Buffer.concat(out).toString('utf8').replace(/\r/g, '');
}
