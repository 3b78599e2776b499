import { strict as assert } from 'node:assert';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  checkOutput,
  commitDirectory,
  commitFile,
  OutputError,
  ownershipProblem,
  samePath,
  temporaryPathFor,
} from '../../src/io/output';
import { BagWriter } from '../../src/bag/writer';
import { writeJsonReport } from '../../src/replay/report';
import { tempDir } from '../bag/helpers';

describe('output rules (io/output)', () => {
  let tmp: ReturnType<typeof tempDir>;
  const at = (...p: string[]): string => path.join(tmp.dir, ...p);
  before(() => (tmp = tempDir('output')));
  after(() => tmp.cleanup());

  it('a new path in an existing directory may be written; a missing directory is named', () => {
    assert.equal(checkOutput(at('new.mcap'), 'mcap'), false);
    assert.throws(
      () => checkOutput(at('missing', 'x.mcap'), 'mcap', { option: '--out' }),
      (e: unknown) =>
        e instanceof OutputError && /--out .*: directory .*missing does not exist/.test(e.message),
    );
  });

  it('an output equal to an input is refused, also through a symbolic link or ./..', () => {
    writeFileSync(at('in.mcap'), 'x');
    symlinkSync(at('in.mcap'), at('link.mcap'));
    for (const out of [at('in.mcap'), at('link.mcap'), path.join(tmp.dir, '.', 'in.mcap')]) {
      assert.throws(
        () => checkOutput(out, 'mcap', { inputs: [at('in.mcap')], force: true }),
        /is also an input/,
      );
    }
    assert.ok(samePath(at('link.mcap'), at('in.mcap')));
    assert.ok(!samePath(at('in.mcap'), at('other.mcap')));
  });

  it('a model directory that would contain an input is refused', () => {
    mkdirSync(at('weights'));
    writeFileSync(at('weights', 'w.safetensors'), 'x');
    assert.throws(
      () =>
        checkOutput(at('weights'), 'model-dir', { inputs: [at('weights', 'w.safetensors')], force: true }),
      /contains the input/,
    );
  });

  it('an existing file is replaced only with force, and only when svnav wrote it', async () => {
    writeFileSync(at('user.json'), '{"version": 1}');
    assert.throws(
      () => checkOutput(at('user.json'), 'json-report', { force: true }),
      /is not a report svnav wrote/,
    );
    await writeJsonReport(at('ours.json'), { version: 1, output: 'x', eval: {} });
    assert.throws(() => checkOutput(at('ours.json'), 'json-report'), /pass --force to replace it/);
    assert.equal(checkOutput(at('ours.json'), 'json-report', { force: true }), true);
    const writer = await BagWriter.create(at('ours.mcap'));
    await writer.close();
    assert.equal(ownershipProblem(at('ours.mcap'), 'mcap'), undefined);
    writeFileSync(
      at('theirs.mcap'),
      Buffer.concat([Buffer.from('\x89MCAP0\r\n', 'latin1'), Buffer.alloc(40)]),
    );
    assert.match(ownershipProblem(at('theirs.mcap'), 'mcap')!, /MCAP file svnav did not write/);
    assert.match(ownershipProblem(tmp.dir, 'mcap')!, /is a directory/);
    assert.match(ownershipProblem(at('link.mcap'), 'mcap')!, /symbolic link/);
  });

  it('commitFile never overwrites without replace, and leaves the new file where it says', () => {
    writeFileSync(at('target.txt'), 'old');
    const tmpFile = temporaryPathFor(at('target.txt'));
    assert.equal(path.dirname(tmpFile), tmp.dir, 'beside the target');
    writeFileSync(tmpFile, 'new');
    assert.throws(() => commitFile(tmpFile, at('target.txt'), 'json-report', false), /appeared while/);
    assert.equal(readFileSync(at('target.txt'), 'utf8'), 'old');
    assert.equal(readFileSync(tmpFile, 'utf8'), 'new');
  });

  it('commitDirectory replaces an svnav model directory and refuses anything else', () => {
    const model = at('model');
    mkdirSync(model);
    writeFileSync(
      path.join(model, 'model.json'),
      JSON.stringify({ format: 'sparse_video_nav.model/1', networks: { a: { file: 'a.onnx' } } }),
    );
    writeFileSync(path.join(model, 'a.onnx'), 'old');
    const next = temporaryPathFor(model);
    mkdirSync(next);
    writeFileSync(path.join(next, 'model.json'), '{}');
    assert.throws(() => commitDirectory(next, model, 'model-dir', false), /not replaced/);
    commitDirectory(next, model, 'model-dir', true);
    assert.deepEqual(readdirSync(model), ['model.json']);
    assert.ok(!readdirSync(tmp.dir).some((e) => e.includes('.old')), 'the old directory is removed');

    writeFileSync(path.join(model, 'mine.txt'), 'user data');
    const third = temporaryPathFor(model);
    mkdirSync(third);
    assert.throws(
      () => commitDirectory(third, model, 'model-dir', true),
      /exists|svnav did not write|does not list/,
    );
    assert.equal(readFileSync(path.join(model, 'mine.txt'), 'utf8'), 'user data');
  });

  it("an empty directory is no one's data: a model may be built into it", () => {
    mkdirSync(at('empty'));
    assert.equal(checkOutput(at('empty'), 'model-dir'), false);
  });
});
