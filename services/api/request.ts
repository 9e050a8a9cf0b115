/**
 * What moleculer-web hands the gateway's hooks for one request, and the ctx.meta fields that shape the
 * HTTP answer. A leaf module: the pipeline, the params builder and the metrics all read these shapes.
 */
import type { IncomingMessage } from 'node:http';
import type { RouteSpec } from './routes/index.ts';

export interface GatewayRequest extends IncomingMessage {
  $params: { body?: unknown; query?: Record<string, unknown>; params?: Record<string, string> } & Record<
    string,
    unknown
  >;
  $action?: { params?: unknown };
  $route?: unknown;
  $startTime?: [number, number];
  $spec?: RouteSpec;
  body?: unknown;
  /** The URL as received, query included (moleculer-web keeps it before it rewrites `url`). */
  originalUrl?: string;
}

export interface Alias {
  method: string;
  fullPath: string;
  /** Our route spec, remembered on moleculer-web's alias object after the first request. */
  $spec?: RouteSpec;
}

/** ctx.meta fields moleculer-web turns into the status, Content-Type and headers of the answer. */
export interface HttpMeta {
  $statusCode?: number;
  $responseType?: string;
  /** A list value sends the header once per item (several Set-Cookie). */
  $responseHeaders?: Record<string, string | string[]>;
  /** The Location of a 201 or a redirect. */
  $location?: string;
}
