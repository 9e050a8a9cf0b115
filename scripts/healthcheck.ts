/**
 * The image's HEALTHCHECK (and docker-compose's): one image runs every service group, so this asks the
 * probe of whatever SERVICES selects. A node with the gateway answers on PORT, any other node on
 * HEALTH_PORT (lib/infra/node-health.ts). It asks readiness: Docker never restarts a container on
 * its health, but `depends_on: service_healthy`, `docker compose up --wait` and `docker ps` read it.
 * Exit 0: ready; 1: not (or no answer within 3 s). Reads only the environment, never .env.
 */
const services = (process.env.SERVICES ?? '').trim();
const runsGateway =
  services === '' || services === '*' || services === 'all' || services.split(',').some(s => s.trim() === 'api');
const port = runsGateway ? (process.env.PORT ?? '8080') : (process.env.HEALTH_PORT ?? '8081');

try {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
