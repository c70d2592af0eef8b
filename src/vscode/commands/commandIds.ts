/** Every command id the extension registers, in one place. */
export const Commands = {
  refresh: 'workerLens.refresh',
  addConnection: 'workerLens.addConnection',
  selectConnection: 'workerLens.selectConnection',
} as const;
