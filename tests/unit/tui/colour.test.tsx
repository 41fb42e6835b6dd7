// Colours: with colour on, decisions are coloured (green/yellow/red); with NO_COLOR the same frame
// has no colour escapes. Ink's colour level is fixed when it is imported, so force it first.
import { describe, expect, it } from 'vitest';

process.env.FORCE_COLOR = '1';
const { render } = await import('ink-testing-library');
const { Frame } = await import('../../../src/tui/Frame.js');
const { noColor } = await import('../../../src/tui/top.js');
const React = await import('react');

describe('colours', () => {
  const lines = [[{ text: 'ALLOW', color: 'green' as const }, { text: ' THROTTLE', color: 'yellow' as const }, { text: ' BLOCK', color: 'red' as const }]];

  it('colours decisions when colour is on', () => {
    const f = render(React.createElement(Frame, { lines, color: true })).lastFrame()!;
    expect(f).toContain('\x1b[32mALLOW');
    expect(f).toContain('\x1b[33m THROTTLE');
    expect(f).toContain('\x1b[31m BLOCK');
  });

  it('has no colour escapes under NO_COLOR', () => {
    const f = render(React.createElement(Frame, { lines, color: !noColor({ NO_COLOR: '1' }) })).lastFrame()!;
    expect(f).not.toMatch(/\x1b\[3\dm/);
    expect(f).toContain('ALLOW THROTTLE BLOCK');
  });

  it('reads NO_COLOR per no-color.org (set and non-empty)', () => {
    expect(noColor({ NO_COLOR: '1' })).toBe(true);
    expect(noColor({ NO_COLOR: '' })).toBe(false);
    expect(noColor({})).toBe(false);
  });
});
