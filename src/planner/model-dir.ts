import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ModelManifest, ManifestError, readManifest } from '../model/manifest';
import { NETWORK_KEYS, type NetworkKey } from '../model/network';
import { sha256File } from '../model/weights/resolve';

export interface ModelExpectations {
  /** Resolution the camera pipeline will feed, when fixed by configuration. */
  resolution?: { height: number; width: number };
  preset?: 'official' | 'tiny' | 'checkpoint';
  dtype?: 'float32' | 'float16';
}

/** What was seeded: robot mode refuses a model whose video generator runs on untrained weights. */
export interface ProvenanceSummary {
  /** The video generator (VAE, text encoder, history formers, DiT) has seeded weights. */
  untrained: boolean;
  /** The action head has trained weights (not released yet: false for every model built today). */
  actionHeadTrained: boolean;
  seededNetworks: NetworkKey[];
  partiallySeeded: { network: NetworkKey; parameters: number }[];
}

/**
 * Opens a model directory: reads model.json, checks that every network a plan needs is there, that each file's
 * content hash matches the manifest (a half-copied or edited model is refused), and that it fits what the caller
 * expects. One error lists every problem found.
 */
export async function openModelDirectory(
  dir: string,
  expect: ModelExpectations = {},
): Promise<ModelManifest> {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  for (const key of NETWORK_KEYS) {
    if (!manifest.networks[key]) problems.push(`network ${key} is missing from model.json`);
  }
  if (expect.preset && manifest.preset !== expect.preset)
    problems.push(`preset is ${manifest.preset}, expected ${expect.preset}`);
  if (expect.dtype && manifest.dtype !== expect.dtype)
    problems.push(`dtype is ${manifest.dtype}, expected ${expect.dtype}`);
  if (
    expect.resolution &&
    (manifest.resolution.height !== expect.resolution.height ||
      manifest.resolution.width !== expect.resolution.width)
  ) {
    problems.push(
      `resolution is ${manifest.resolution.height}×${manifest.resolution.width}, expected ${expect.resolution.height}×${expect.resolution.width}`,
    );
  }
  if (manifest.text.dim !== manifest.text.dit_dim) {
    problems.push(
      `the text encoder emits ${manifest.text.dim}-wide features but the DiT reads ${manifest.text.dit_dim}: this directory can run its networks one by one, not plan`,
    );
  }
  if (manifest.resolution.height !== manifest.resolution.width) {
    problems.push(`resolution ${manifest.resolution.height}×${manifest.resolution.width} is not square`);
  }
  const checks: Promise<void>[] = [];
  const verify = (file: string, sha: string, what: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) {
      problems.push(`${what}: file ${file} does not exist`);
      return;
    }
    checks.push(
      sha256File(path).then((actual) => {
        if (actual !== sha)
          problems.push(
            `${what}: ${file} has sha256 ${actual.slice(0, 12)}…, model.json says ${sha.slice(0, 12)}…`,
          );
      }),
    );
  };
  for (const [key, entry] of Object.entries(manifest.networks)) {
    verify(entry.file, entry.sha256, key);
    if (entry.data_file) verify(entry.data_file, entry.data_sha256 ?? '', `${key} weights`);
  }
  verify(manifest.text.tokenizer, manifest.text.tokenizer_sha256, 'tokenizer');
  await Promise.all(checks);
  if (problems.length) throw new ManifestError(dir, problems.join('; '));
  return manifest;
}

export function summariseProvenance(manifest: ModelManifest): ProvenanceSummary {
  const seededNetworks: NetworkKey[] = [];
  const partiallySeeded: { network: NetworkKey; parameters: number }[] = [];
  for (const [key, entry] of Object.entries(manifest.networks) as [
    NetworkKey,
    ModelManifest['networks'][NetworkKey],
  ][]) {
    if (!entry) continue;
    if (entry.provenance.kind === 'seeded') seededNetworks.push(key);
    else if (entry.provenance.seededParameters.length) {
      partiallySeeded.push({ network: key, parameters: entry.provenance.seededParameters.length });
    }
  }
  return {
    untrained: !manifest.trained.video_generator,
    actionHeadTrained: manifest.trained.action_head,
    seededNetworks,
    partiallySeeded,
  };
}
