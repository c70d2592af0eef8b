/** Every command id the extension registers, in one place. */
export const Commands = {
  refresh: 'workerLens.refresh',
  addConnection: 'workerLens.addConnection',
  selectConnection: 'workerLens.selectConnection',
  setSecret: 'workerLens.setSecret',
  openDashboard: 'workerLens.openDashboard',
  showLogs: 'workerLens.showLogs',
  exportMetrics: 'workerLens.exportMetrics',
  restartWorker: 'workerLens.restartWorker',
  restartUnhealthy: 'workerLens.restartUnhealthy',
  scaleWorkers: 'workerLens.scaleWorkers',
  quietWorker: 'workerLens.quietWorker',
  stopJob: 'workerLens.stopJob',
} as const;
