// Owns turning layout lines (src/tui/layout.ts) into Ink output: one <Text> row per line, segments
// coloured unless colours are off (NO_COLOR). Rows never wrap, so the frame height is the line count.
//
// Example:
//   <Frame lines={mainLines(view, ui, meta, size, now)} color={!process.env.NO_COLOR} />

import { Box, Text } from 'ink';
import type { Line } from './layout.js';

export interface FrameProps {
  lines: Line[];
  /** false: no colour escapes at all (NO_COLOR); bold/inverse stay so the selection is visible. */
  color: boolean;
}

export function Frame({ lines, color }: FrameProps) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.length === 0 || line.every((s) => s.text === '')
            ? ' '
            : line.map((s, j) => (
                <Text
                  key={j}
                  color={color ? s.color : undefined}
                  bold={s.bold}
                  inverse={s.inverse}
                  dimColor={color ? s.dim : undefined}
                >
                  {s.text}
                </Text>
              ))}
        </Text>
      ))}
    </Box>
  );
}
