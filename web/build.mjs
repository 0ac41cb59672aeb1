// One build for both web apps: esbuild bundles each app (web/<app>/app.js + app.css) into web/dist with hashed
// names, writes each app's index.html with those names, the citizen service worker with its precache list, and
// a .br and .gz beside every text asset (the gateway serves the smallest one the browser accepts).
// Usage: node build.mjs
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = dirname(fileURLToPath(import.meta.url));
const DIST = join(ROOT, 'dist');
const APPS = ['citizen', 'staff'].filter((app) => existsSync(join(ROOT, app, 'app.js')));
// Where each app's index.html goes: the citizen app is the site's root, the others under their own path.
const HOME = { citizen: '', staff: 'staff' };
const COMPRESSIBLE = /\.(js|css|html|json|svg|webmanifest|map|txt|geojson)$/;

function entryPoints() {
  const entries = {};
  for (const app of APPS) {
    entries[`${app}/app`] = join(ROOT, app, 'app.js');
    if (existsSync(join(ROOT, app, 'app.css'))) entries[`${app}/style`] = join(ROOT, app, 'app.css');
  }
  return entries;
}

const options = {
  entryPoints: entryPoints(),
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: ['es2020'],
  outdir: join(DIST, 'assets'),
  entryNames: '[dir]/[name]-[hash]',
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'media/[name]-[hash]',
  loader: { '.png': 'file', '.svg': 'file', '.json': 'json' },
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  absWorkingDir: ROOT,
};

function outputsOf(metafile) {
  const byEntry = {};
  for (const [file, info] of Object.entries(metafile.outputs)) {
    if (!info.entryPoint) continue;
    const url = '/' + relative(DIST, join(ROOT, file)).replaceAll('\\', '/');
    byEntry[info.entryPoint] = { url, imports: (info.imports || []).filter((i) => i.kind === 'import-statement').map((i) => '/' + relative(DIST, join(ROOT, i.path))) };
  }
  return byEntry;
}

function writeHtml(app, outputs) {
  const js = outputs[`${app}/app.js`];
  const css = outputs[`${app}/app.css`];
  let html = readFileSync(join(ROOT, app, 'index.html'), 'utf8');
  const preload = (js?.imports || []).map((u) => `<link rel="modulepreload" href="${u}">`).join('');
  html = html.replace('<!--CSS-->', css ? `<link rel="stylesheet" href="${css.url}">` : '')
    .replace('<!--JS-->', `${preload}<script type="module" src="${js.url}"></script>`);
  const dir = join(DIST, HOME[app] ?? app);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), html);
}

function copyStatic(app) {
  const src = join(ROOT, app, 'static');
  if (existsSync(src)) cpSync(src, join(DIST, HOME[app] ?? app), { recursive: true });
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function writeServiceWorker() {
  // The citizen app's shell: its HTML, every built asset it may need offline (chunks, the English catalogue),
  // its icons and manifest. The version changes whenever any of them does, so a new build replaces the cache.
  const files = walk(DIST).filter((p) => !/\.(br|gz|txt)$/.test(p) && !p.endsWith('meta.json') && !p.includes(`${join(DIST, 'staff')}`)
    && !p.includes('/assets/staff/'));
  const urls = files.map((p) => '/' + relative(DIST, p).replaceAll('\\', '/'))
    .map((u) => (u === '/index.html' ? '/' : u)).filter((u) => u !== '/sw.js').sort();
  const hash = createHash('sha256');
  for (const p of files) hash.update(readFileSync(p));
  const sw = readFileSync(join(ROOT, 'citizen', 'sw.js'), 'utf8')
    .replace('__VERSION__', hash.digest('hex').slice(0, 16)).replace('[/*__SHELL__*/]', JSON.stringify(urls));
  writeFileSync(join(DIST, 'sw.js'), sw);
}

function compressAll() {
  for (const path of walk(DIST)) {
    if (!COMPRESSIBLE.test(path)) continue;
    const raw = readFileSync(path);
    writeFileSync(`${path}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  }
}

async function build() {
  rmSync(DIST, { recursive: true, force: true });
  const result = await esbuild.build(options);
  const outputs = outputsOf(result.metafile);
  for (const app of APPS) {
    copyStatic(app);
    writeHtml(app, outputs);
  }
  if (APPS.includes('citizen')) writeServiceWorker();
  compressAll();
  writeFileSync(join(DIST, 'meta.json'), JSON.stringify(result.metafile));
  console.log(`web: built ${APPS.join(', ')} into ${relative(process.cwd(), DIST) || DIST}`);
}

await build();
