#!/usr/bin/env node
// Bundles the browser client (gateway/client) with esbuild into dist/public/, next to its
// index.html and style.css. The gateway serves that directory at `/`.
// Usage: node scripts/build-client.mjs [--outdir DIR] [--watch]
import { copyFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outdirArg = args.indexOf('--outdir');
const outdir = path.resolve(root, outdirArg >= 0 ? args[outdirArg + 1] : 'dist/public');
const clientDir = path.join(root, 'gateway', 'client');

/**
 * mediasoup-client's index pulls in code no browser runs: its React Native handler, and the fake
 * handler and parameters it ships for tests (~40 KB of the ~255 KB bundle, parsed and evaluated
 * on every page load before the call can start). Those modules become empty ones; the browser
 * handlers (Chrome, Firefox, Safari) all stay.
 */
const UNUSED_IN_BROWSERS = /[\\/]mediasoup-client[\\/]lib[\\/](handlers[\\/](ReactNative106|FakeHandler)|test[\\/]fakeParameters)\.js$/;

/** @type {import('esbuild').Plugin} */
const dropUnusedMediasoupClientModules = {
  name: 'drop-unused-mediasoup-client-modules',
  setup(build) {
    build.onLoad({ filter: UNUSED_IN_BROWSERS }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: [path.join(clientDir, 'main.ts')],
  outfile: path.join(outdir, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  tsconfig: path.join(clientDir, 'tsconfig.json'),
  logLevel: 'warning',
  plugins: [dropUnusedMediasoupClientModules],
};

async function copyStatic() {
  await mkdir(outdir, { recursive: true });
  for (const file of ['index.html', 'style.css']) await copyFile(path.join(clientDir, file), path.join(outdir, file));
}

const started = Date.now();
await copyStatic();
if (args.includes('--watch')) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  process.stdout.write(`watching gateway/client → ${path.relative(root, outdir)}/\n`);
} else {
  const result = await esbuild.build({ ...options, metafile: true });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`client built into ${path.relative(root, outdir)}/ (${Math.round(bytes / 1024)} KiB, ${Date.now() - started} ms)\n`);
}
