/** Where the end-to-end servers listen. Fixed ports so specs can reach the emulator's control endpoints. */
const emulatorPort = 8791;
const appPort = 3100;
const offlineAppPort = 3101;
const offlineEmulatorPort = 8792;

export const E2E = {
  emulatorPort,
  emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
  appPort,
  appUrl: `http://127.0.0.1:${appPort}`,
  apiKey: "e2e-test-key",
  dataDir: ".e2e-data/studio",
  offlineAppPort,
  offlineAppUrl: `http://127.0.0.1:${offlineAppPort}`,
  offlineEmulatorPort,
  offlineEmulatorUrl: `http://127.0.0.1:${offlineEmulatorPort}`,
  offlineDataDir: ".e2e-data/offline",
} as const;
