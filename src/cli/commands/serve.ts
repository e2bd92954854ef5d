// facelab serve: the read-only dashboard over a runs directory (binds 127.0.0.1 unless told otherwise).
import { resolve } from "node:path";
import type { Command } from "commander";
import { startDashboard } from "../../../web/server.js";

/** The port `facelab serve` listens on unless told otherwise (the demo prints it). */
export const DEFAULT_PORT = 6060;

export function register(program: Command): void {
  program
    .command("serve")
    .description("dashboard: runs and studies with status, live curves, reports, side-by-side comparison")
    .option("--runs <dir>", "runs directory", "runs")
    .option("-p, --port <n>", "port (0 picks a free one)", String(DEFAULT_PORT))
    .option(
      "--host <addr>",
      "address to bind; anything but 127.0.0.1/localhost exposes your runs to the network",
      "127.0.0.1",
    )
    .action(async (opts: { runs: string; port: string; host: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be an integer in 0..65535, got "${opts.port}"`);
      const { server, url } = await startDashboard({ root: resolve(opts.runs), port, host: opts.host });
      console.log(`facelab dashboard on ${url} (runs: ${resolve(opts.runs)}); Ctrl-C stops it`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          server.closeAllConnections();
          server.close(() => done());
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
