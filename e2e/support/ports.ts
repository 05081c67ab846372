/**
 * Where the end-to-end servers listen. Fixed ports so specs can reach the emulator's control
 * endpoints; E2E_PORT_OFFSET shifts them all, so two checkouts can run their suites side by side.
 */
export const PORT_OFFSET = Number.parseInt(process.env.E2E_PORT_OFFSET ?? "0", 10) || 0;
const emulatorPort = 8791 + PORT_OFFSET;
const appPort = 3100 + PORT_OFFSET;
const offlineAppPort = 3101 + PORT_OFFSET;
const offlineEmulatorPort = 8792 + PORT_OFFSET;

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
