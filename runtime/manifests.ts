/**
 * Loading manifests: YAML documents into objects, with karpenter.sh / karpenter.k8s.aws kinds validated and
 * defaulted by the sdk schemas, so a bad NodePool fails with the field and the fix before anything runs.
 */
import { readFileSync } from 'node:fs';
import { parseManifest, parseManifests, schemaForKind } from '../sdk';
import type { KubeObject } from './kube/objects';

/** Parse a YAML stream; throws the sdk's ManifestError listing every problem in every document. */
export function parseYamlDocuments(text: string, source = 'manifest'): KubeObject[] {
  // requireMetadata makes every returned object carry metadata, which is what KubeObject promises.
  return parseManifests(text, { source, requireMetadata: true }) as KubeObject[];
}

export function loadManifestFile(path: string): KubeObject[] {
  return parseYamlDocuments(readFileSync(path, 'utf8'), path);
}

/** Validate and default the kinds the sdk owns; other kinds pass through. */
export function validateObject(obj: KubeObject): KubeObject {
  const schema = schemaForKind(obj.apiVersion, obj.kind);
  return schema ? (parseManifest(schema, obj.kind, obj) as KubeObject) : obj;
}
