// The typed voldash API client for the dashboard SPA.
//
// `schema.d.ts` is generated from infra/openapi.yaml by openapi-typescript (`make openapi`
// regenerates both; tests/test_typescript_client.py fails when it is stale or does not
// type-check). Requests go to the same origin (see README, "Serving the single-page app"),
// with the session cookie, and every unsafe method carries the X-CSRFToken header.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type Task = components["schemas"]["TaskOut"];
export type ApiError = components["schemas"]["ErrorOut"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Reads the csrftoken cookie Django sets (GET /api/v1/csrf sets it when missing). */
export function csrfTokenFromCookie(cookie: string): string | undefined {
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

export function createVoldashClient(options: {
  baseUrl?: string;
  getCsrfToken: () => string | undefined;
}) {
  const client = createClient<paths>({ baseUrl: options.baseUrl ?? "", credentials: "include" });
  const csrf: Middleware = {
    onRequest({ request }) {
      const token = options.getCsrfToken();
      if (UNSAFE.has(request.method) && token) request.headers.set("X-CSRFToken", token);
      return request;
    },
  };
  client.use(csrf);
  return client;
}
