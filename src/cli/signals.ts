// Owns waiting for the operator's stop signal in long-running commands (serve, backend).
//
// Example:
//   await untilStopSignal(); // resolves on the first SIGINT or SIGTERM, then removes its listeners

export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
