/**
 * YAML manifests to typed objects: every karpenter.sh/v1 NodePool and NodeClaim, karpenter.k8s.aws/v1
 * EC2NodeClass, karpenter.sh/v1alpha1 NodeOverlay and autoscaling.x-k8s.io/v1beta1 CapacityBuffer is validated and defaulted by its schema; other kinds come back as they were written. All
 * documents are checked before anything is thrown, so one run reports every problem in the file.
 */
import yaml from 'js-yaml';
import type { z } from 'zod';
import type { ObjectMeta } from './api/common';
import { ec2NodeClassSchema, type EC2NodeClass } from './api/ec2nodeclass';
import { nodeClaimSchema, type NodeClaim } from './api/nodeclaim';
import { nodeOverlaySchema, type NodeOverlay } from './api/nodeoverlay';
import { capacityBufferSchema, type CapacityBuffer } from './api/capacitybuffer';
import { nodePoolSchema, type NodePool } from './api/nodepool';
import { validate } from './api/validate';

/** Any Kubernetes object this package does not own, returned untouched. */
export interface GenericObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export type KarpenterObject =
  NodePool | NodeClaim | EC2NodeClass | NodeOverlay | CapacityBuffer | GenericObject;

export interface ManifestProblem {
  /** 0-based position of the document in the YAML stream (empty documents count). */
  documentIndex: number;
  kind?: string;
  name?: string;
  /** Field path inside the document; "" for the document as a whole. */
  path: string;
  message: string;
  /** Id of the failed cross-field rule (rules.ts), when there is one. */
  rule?: string;
}

/** Every problem found in a manifest stream, grouped by document in the message. */
export class ManifestError extends Error {
  constructor(
    readonly problems: ManifestProblem[],
    readonly source = 'manifest',
  ) {
    super(ManifestError.format(problems, source));
    this.name = 'ManifestError';
  }

  private static format(problems: ManifestProblem[], source: string): string {
    const byDocument = new Map<number, ManifestProblem[]>();
    for (const p of problems)
      byDocument.set(p.documentIndex, [...(byDocument.get(p.documentIndex) ?? []), p]);
    const sections = [...byDocument.entries()].map(([index, list]) => {
      const first = list[0] as ManifestProblem;
      const what = first.kind ? `invalid ${first.kind} "${first.name ?? '(unnamed)'}"` : 'invalid document';
      const lines = list.map((p) => `    - ${p.path || '(document)'}: ${p.message}`);
      return `  document ${index}: ${what}:\n${lines.join('\n')}`;
    });
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    return `${source}: ${count} in ${byDocument.size} document${byDocument.size === 1 ? '' : 's'}:\n${sections.join('\n')}`;
  }
}

const SCHEMAS: Record<string, z.ZodType<KarpenterObject>> = {
  'karpenter.sh/v1 NodePool': nodePoolSchema,
  'karpenter.sh/v1 NodeClaim': nodeClaimSchema,
  'karpenter.k8s.aws/v1 EC2NodeClass': ec2NodeClassSchema,
  'karpenter.sh/v1alpha1 NodeOverlay': nodeOverlaySchema,
  'autoscaling.x-k8s.io/v1beta1 CapacityBuffer': capacityBufferSchema,
};

/** The schema that validates objects of this apiVersion and kind, when this package owns the kind. */
export function schemaForKind(apiVersion: string, kind: string): z.ZodType<KarpenterObject> | undefined {
  return SCHEMAS[`${apiVersion} ${kind}`];
}

/** Older Karpenter APIs users may still have on disk, with the migration they need. */
const LEGACY: Record<string, string> = {
  'karpenter.sh/v1beta1 NodePool':
    'change apiVersion to karpenter.sh/v1 and move expireAfter to spec.template.spec',
  'karpenter.sh/v1beta1 NodeClaim': 'change apiVersion to karpenter.sh/v1',
  'karpenter.k8s.aws/v1beta1 EC2NodeClass':
    'change apiVersion to karpenter.k8s.aws/v1 and select the AMI with amiSelectorTerms (e.g. - alias: al2023@latest)',
  'karpenter.sh/v1alpha5 Provisioner': 'rewrite it as a karpenter.sh/v1 NodePool',
  'karpenter.sh/v1alpha5 Machine': 'NodeClaims replace Machines; let Karpenter create them',
  'karpenter.k8s.aws/v1alpha1 AWSNodeTemplate': 'rewrite it as a karpenter.k8s.aws/v1 EC2NodeClass',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Split a YAML stream into its documents, reporting syntax errors per document instead of stopping at the first. */
function loadDocuments(text: string, problems: ManifestProblem[]): unknown[] {
  try {
    return yaml.loadAll(text);
  } catch {
    // Locate the broken document(s) by loading each separately; a "---" line always starts a new document.
    const chunks = text.split(/^---(?:[ \t].*)?$/m);
    // Text before the first "---" is a document only if it has content beyond comments.
    if (chunks.length > 1 && /^(\s*(#.*)?\n?)*$/.test(chunks[0] as string)) chunks.shift();
    return chunks.map((chunk, documentIndex) => {
      try {
        return yaml.load(chunk);
      } catch (err) {
        const reason = err instanceof yaml.YAMLException ? err.reason : String(err);
        const line = err instanceof yaml.YAMLException ? ` at line ${err.mark.line + 1} of the document` : '';
        problems.push({
          documentIndex,
          path: '',
          message: `YAML syntax error${line}: ${reason}; fix the YAML`,
        });
        return undefined;
      }
    });
  }
}

/**
 * Parse a YAML stream of one or more documents. Karpenter kinds are validated and defaulted; other kinds are
 * returned untouched. Throws a ManifestError listing every problem across all documents.
 */
export interface ParseManifestsOptions {
  /** Names the input in the error message (a file path, say). */
  source?: string;
  /** Also require metadata on kinds this package does not own (a controller cannot store objects without it). */
  requireMetadata?: boolean;
}

export function parseManifests(text: string, options: ParseManifestsOptions = {}): KarpenterObject[] {
  const problems: ManifestProblem[] = [];
  const docs = loadDocuments(text, problems);
  const out: KarpenterObject[] = [];
  docs.forEach((doc, documentIndex) => {
    if (doc === null || doc === undefined) return; // empty documents (a trailing "---", comments only)
    if (!isRecord(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
      problems.push({
        documentIndex,
        path: '',
        message: 'is not a Kubernetes object: each document needs apiVersion and kind (and metadata)',
      });
      return;
    }
    const kind = doc.kind;
    const name =
      isRecord(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : undefined;
    const at = { documentIndex, kind, ...(name === undefined ? {} : { name }) };
    const key = `${doc.apiVersion} ${kind}`;
    const legacy = LEGACY[key];
    if (legacy) {
      problems.push({ ...at, path: 'apiVersion', message: `${key} is no longer supported: ${legacy}` });
      return;
    }
    const schema = SCHEMAS[key];
    if (!schema) {
      if (options.requireMetadata && !isRecord(doc.metadata)) {
        problems.push({ ...at, path: 'metadata', message: 'is required: add metadata with a name' });
        return;
      }
      out.push(doc as GenericObject);
      return;
    }
    const before = problems.length;
    if (name === undefined && !(isRecord(doc.metadata) && typeof doc.metadata.generateName === 'string')) {
      problems.push({ ...at, path: 'metadata.name', message: 'is required: give the object a name' });
    }
    const result = validate(schema, doc);
    if (result.success) {
      if (problems.length === before) out.push(result.data);
    } else {
      problems.push(...result.problems.map((p) => ({ ...at, ...p })));
    }
  });
  if (problems.length) {
    // Syntax errors are found before the documents are checked: report everything in document order.
    problems.sort((a, b) => a.documentIndex - b.documentIndex);
    throw new ManifestError(problems, options.source);
  }
  return out;
}

export function isNodePool(obj: KarpenterObject): obj is NodePool {
  return obj.apiVersion === 'karpenter.sh/v1' && obj.kind === 'NodePool';
}
export function isNodeClaim(obj: KarpenterObject): obj is NodeClaim {
  return obj.apiVersion === 'karpenter.sh/v1' && obj.kind === 'NodeClaim';
}
export function isEC2NodeClass(obj: KarpenterObject): obj is EC2NodeClass {
  return obj.apiVersion === 'karpenter.k8s.aws/v1' && obj.kind === 'EC2NodeClass';
}
export function isNodeOverlay(obj: KarpenterObject): obj is NodeOverlay {
  return obj.apiVersion === 'karpenter.sh/v1alpha1' && obj.kind === 'NodeOverlay';
}
export function isCapacityBuffer(obj: KarpenterObject): obj is CapacityBuffer {
  return obj.apiVersion === 'autoscaling.x-k8s.io/v1beta1' && obj.kind === 'CapacityBuffer';
}
