/**
 * `npm run bench -- [--quick] [--backend wasm|cpu] [--data DIR]`: runs
 * bench/class-pca.ts, bench/fit-mlp.ts and bench/fit-cnn.ts one after the
 * other (never at once: they would share the cores), passing those options
 * through, then bench/report.ts, which writes docs/BENCHMARKS.md.
 *
 * Without `--quick` this is the full benchmark: about two hours on wasm on
 * a 2-core machine (the CNN's ten epochs of model.fit are most of the
 * second), many hours on cpu. The quick CNN run (the committed split) is
 * not in the quick report; its success counts. The report takes the newest full
 * result of each benchmark and backend; after a `--quick` run it is given
 * the quick results just written instead and writes
 * reports/BENCHMARKS-quick.md (quick figures are not for
 * docs/BENCHMARKS.md; quick JSON files are not committed).
 */
import {spawnSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {DEFAULT_DATA_DIR, hasSplit, installHint} from './common';

const PASSED = ['--quick', '--backend', '--data'];

function parse(argv: string[]) {
  const out: string[] = [];
  let quick = false;
  let backend = 'wasm';
  let dataDir = DEFAULT_DATA_DIR;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!PASSED.includes(a)) {
      process.stderr.write(
          `bench/run: unknown argument ${a}\nusage: npm run bench -- ` +
          `[--quick] [--backend wasm|cpu] [--data DIR]\n`);
      process.exit(2);
    }
    out.push(a);
    if (a === '--quick') {
      quick = true;
    } else {
      const v = argv[++i];
      if (v === undefined) {
        process.stderr.write(`bench/run: ${a} needs a value\n`);
        process.exit(2);
      }
      out.push(v);
      backend = a === '--backend' ? v : backend;
      dataDir = a === '--data' ? v : dataDir;
    }
  }
  return {args: out, quick, backend, dataDir};
}

function run(script: string, args: string[]) {
  process.stderr.write(`\n== ${script} ${args.join(' ')}\n`);
  const r = spawnSync(
      process.execPath,
      [require.resolve('ts-node/dist/bin'), '--transpile-only',
       path.join(__dirname, script), ...args],
      {stdio: 'inherit'});
  if (r.status !== 0) {
    process.stderr.write(`bench/run: ${script} failed (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
}

/** The newest bench/results file starting with `prefix`. */
function newest(prefix: string): string {
  const dir = path.join(__dirname, 'results');
  const files = fs.readdirSync(dir).filter(
      f => f.startsWith(prefix) && f.endsWith('.json')).sort();
  return path.join(dir, files[files.length - 1]);
}

function main() {
  const o = parse(process.argv.slice(2));
  const full = hasSplit(o.dataDir, 'train') && hasSplit(o.dataDir, 't10k');
  if (!full) {
    process.stderr.write(
        `bench/run: the full Fashion-MNIST (train and t10k) was not found.\n` +
        installHint(o.dataDir));
    if (!o.quick) {
      process.exit(2);
    }
    process.stderr.write(
        'bench/run: --quick goes on with the committed t10k set for ' +
        'fit-mlp and skips class-pca (it needs the training split).\n');
  }
  const backend = ['--backend', o.backend];
  const pass = o.args.filter((a, i) => a !== '--backend' &&
                                       o.args[i - 1] !== '--backend');
  if (full) {
    // The breakdown (a few minutes more) only in the full run.
    run('class-pca.ts',
        [...backend, ...pass, ...(o.quick ? [] : ['--breakdown'])]);
  }
  run('fit-mlp.ts', [...backend, ...pass]);
  // The CNN: quick on the committed split; in full, model.fit for 10
  // epochs, whose stages give the 1-, 3- and 5-epoch figures too.
  run('fit-cnn.ts',
      [...backend, ...pass, ...(o.quick ? [] : ['--epochs', '10'])]);
  if (o.quick) {
    const files = [
      ...(full ? [newest(`class-pca-${o.backend}-`)] : []),
      newest(`fit-mlp-${o.backend}-`),
    ];
    run('report.ts', ['--out', 'reports/BENCHMARKS-quick.md', ...files]);
  } else {
    run('report.ts', []);
  }
}

main();
