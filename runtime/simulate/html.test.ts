import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP, labSnapshot } from '../../tests/support/lab-snapshot';
import { renderHtml } from './html';
import type { SimulateReport } from './report';
import { simulate } from './simulate';

const CHROMIUM = '/usr/bin/chromium';

let report: SimulateReport;
beforeAll(async () => {
  // A scale-up: pending pods, launches, nodes and cost that move.
  report = await simulate(await labSnapshot(9), {
    durationMinutes: 90,
    scale: [{ namespace: APP.namespace, name: APP.name, replicas: 24 }],
  });
}, 60_000);

describe('renderHtml', () => {
  it('is self-contained: no script, and nothing loaded from anywhere', () => {
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script|<link|<img|\bsrc=|\bhref=|@import|url\(/i);
    expect(html).toContain("default-src 'none'");
  });

  it('draws one step line per series over every sample, on labelled axes', () => {
    const html = renderHtml(report);
    for (const id of ['nodes', 'cost', 'pending']) {
      const svg = new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? '';
      const d = /<path d="([^"]+)" class="series"/.exec(svg)?.[1] ?? '';
      // M, then an H and a V per later sample.
      expect(d.split(/[HV]/)).toHaveLength(1 + 2 * (report.samples.length - 1));
      expect(svg).toContain('cluster time (minutes)');
    }
    expect(html).toContain('>$/hour</text>');
  });

  it('keeps every series inside its plot: the axis reaches at least the highest value', () => {
    const html = renderHtml(report);
    expect(Math.max(...report.samples.map((s) => s.pendingPods))).toBeGreaterThan(0);
    for (const id of ['nodes', 'cost', 'pending']) {
      const svg = new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? '';
      const d = /<path d="([^"]+)" class="series"/.exec(svg)?.[1] ?? '';
      const ys = [...d.matchAll(/V([\d.]+)/g)].map((m) => Number(m[1]));
      const top = Math.min(
        ...[...svg.matchAll(/<line[^>]*y1="([\d.]+)"[^>]*class="grid/g)].map((m) => Number(m[1])),
      );
      expect(ys.length).toBeGreaterThan(0);
      for (const y of ys) expect(y).toBeGreaterThanOrEqual(top - 0.05);
    }
  });

  it('escapes what comes from the cluster', () => {
    const evil = { ...report, snapshot: { ...report.snapshot, source: '<b onload=x>' } };
    expect(renderHtml(evil)).toContain('&lt;b onload=x&gt;');
  });
});

const inChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM))
  console.log(
    `simulate HTML report: Chromium test skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`,
  );

inChromium('the HTML report in headless Chromium', () => {
  it('renders the three plots with no console errors; a screenshot is saved', async () => {
    const { chromium } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'simulate-html-'));
    const page = join(dir, 'report.html');
    writeFileSync(page, renderHtml(report));
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(`file://${page}`);
      const plots = await tab.$$eval('svg', (svgs) =>
        svgs.map((svg) => {
          const path = svg.querySelector('path.series') as unknown as {
            getTotalLength(): number;
            getBBox(): { width: number };
          } | null;
          const box = path?.getBBox();
          return {
            id: svg.id,
            length: path?.getTotalLength() ?? 0,
            width: box?.width ?? 0,
            labels: [...svg.querySelectorAll('text.label')].map((t) => t.textContent),
          };
        }),
      );
      expect(plots.map((p) => p.id)).toEqual(['nodes', 'cost', 'pending']);
      for (const p of plots) {
        // The line spans the plot's width (every minute is drawn), and both axes are labelled.
        expect(p.width).toBeGreaterThan(600);
        expect(p.length).toBeGreaterThan(p.width);
        expect(p.labels[0]).toBe('cluster time (minutes)');
      }
      expect(plots.map((p) => p.labels[1])).toEqual(['nodes', '$/hour', 'pods']);
      const shot = join(dir, 'report.png');
      await tab.screenshot({ path: shot, fullPage: true });
      console.log(`simulate HTML report screenshot: ${shot}`);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
