/**
 * The simulator's fast instrument reader keeps exactly what the project's master parser keeps,
 * field for field, on a full synthetic master; and falls back to the parser for quoted CSV.
 */
import { describe, expect, it } from 'vitest';
import { parseMaster } from '../src/master/parse-master.js';
import { loadSimInstruments } from '../src/sim/sim-instruments.js';
import { generateMaster } from '../src/sim/synthetic-master.js';

describe('loadSimInstruments', () => {
  it('agrees with parseMaster on a generated master', () => {
    const { csv } = generateMaster('2026-09-29', { seed: 9 });
    const fast = loadSimInstruments(csv);
    const slow = parseMaster(csv).instruments;
    expect(fast.length).toBe(slow.length);
    expect(fast.length).toBeGreaterThan(40_000);
    for (let i = 0; i < fast.length; i++) {
      if (JSON.stringify(fast[i]) !== JSON.stringify(slow[i])) expect(fast[i]).toEqual(slow[i]);
    }
  });

  it('hands quoted CSV to parseMaster', () => {
    const { csv } = generateMaster('2026-09-29', { seed: 9 });
    const lines = csv.split('\n');
    // Quote one company name (with a comma inside), as a real file may.
    const k = lines.findIndex((l) => l.startsWith('NSE,E,'));
    const f = lines[k]!.split(',');
    f[7] = `"${f[7]}, LTD"`;
    lines[k] = f.join(',');
    const quoted = lines.join('\n');
    expect(loadSimInstruments(quoted)).toEqual(parseMaster(quoted).instruments);
  });
});
