// The example dashboard (README: "An example app"): every screen's data through the typed
// client (infra/client/), served by Vite with the README's proxy configuration, so the API is
// same-origin and the session cookie and CSRF work as in the cloud.
import { createVoldashClient, csrfTokenFromCookie } from "../../../infra/client/client.ts";
import type { components, paths } from "../../../infra/client/schema";

type S = components["schemas"];
type TaskQuery = NonNullable<paths["/api/v1/tasks"]["get"]["parameters"]["query"]>;

const api = createVoldashClient({ getCsrfToken: () => csrfTokenFromCookie(document.cookie) });
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let currentTask: string | null = null;

function say(text: string): void {
  $("status").textContent = text;
  $("error").textContent = "";
}

function fail(error: S["ErrorOut"] | undefined, status: number): void {
  const fields = error?.detail?.fields?.map((f) => `${f.field} (${f.code})`).join(", ");
  $("error").textContent = `${status} ${error?.code ?? "?"}: ${error?.message ?? ""}${fields ? ` [${fields}]` : ""}`;
}

/** Today in Austin: dates in the API are Austin dates (README: Errors). */
function austinToday(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Chicago" }).format(new Date());
}

async function csrfToken(): Promise<string> {
  await api.GET("/api/v1/csrf");
  return csrfTokenFromCookie(document.cookie) ?? "";
}

async function devLogin(): Promise<void> {
  const response = await fetch("/auth/dev-login", {
    method: "POST",
    credentials: "include",
    headers: { "Content-Type": "application/json", "X-CSRFToken": await csrfToken() },
    body: JSON.stringify({ neon_id: $<HTMLInputElement>("neon-id").value }),
  });
  if (!response.ok) return fail(await response.json(), response.status);
  await showMe();
  await Promise.all([loadTasks(), loadHours(), loadLeaderboard()]);
}

async function logout(): Promise<void> {
  const response = await fetch("/auth/logout", {
    method: "POST",
    credentials: "include",
    headers: { Accept: "application/json", "X-CSRFToken": await csrfToken() },
  });
  $("me").textContent = "";
  say(response.status === 204 ? "Logged out" : `Logout answered ${response.status}`);
}

async function showMe(): Promise<void> {
  const { data, error, response } = await api.GET("/api/v1/me");
  if (error || !data) return fail(error, response.status);
  $("me").textContent = `${data.name} (${data.open_claims} of ${data.claim_limit} claims)`;
  say(`Logged in as ${data.name}`);
}

function filters(): TaskQuery {
  const query: TaskQuery = { counts: true, limit: 20 };
  const shop = $<HTMLSelectElement>("filter-shop").value;
  const type = $<HTMLSelectElement>("filter-type").value;
  const urgency = $<HTMLSelectElement>("filter-urgency").value;
  const status = $<HTMLSelectElement>("filter-status").value;
  if (shop) query.shop = shop as NonNullable<TaskQuery["shop"]>;
  if (type) query.type = type as NonNullable<TaskQuery["type"]>;
  if (urgency) query.urgency = urgency as NonNullable<TaskQuery["urgency"]>;
  if (status) query.status = status as NonNullable<TaskQuery["status"]>;
  query.sort = $<HTMLSelectElement>("filter-sort").value as NonNullable<TaskQuery["sort"]>;
  return query;
}

async function loadShops(): Promise<void> {
  const { data } = await api.GET("/api/v1/shops");
  const select = $<HTMLSelectElement>("filter-shop");
  for (const shop of data?.items ?? []) select.add(new Option(shop.name, shop.slug));
}

async function loadTasks(): Promise<void> {
  const { data, error, response } = await api.GET("/api/v1/tasks", { params: { query: filters() } });
  if (error || !data) return fail(error, response.status);
  $("total").textContent = `Showing ${data.items.length} of ${data.total ?? "?"}`;
  const facets = $("facets");
  facets.replaceChildren();
  for (const [name, counts] of Object.entries(data.facets ?? {})) {
    const li = document.createElement("li");
    li.dataset.facet = name;
    li.textContent = `${name}: ${Object.entries(counts as Record<string, number>)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`;
    facets.append(li);
  }
  const list = $("task-list");
  list.replaceChildren();
  for (const task of data.items) {
    const li = document.createElement("li");
    li.dataset.taskId = task.id;
    li.textContent = `${task.title} · ${task.shop} · ${task.status} · ${task.urgency}`;
    const open = document.createElement("button");
    open.textContent = "Open";
    open.addEventListener("click", () => void showTask(task.id));
    li.append(open);
    list.append(li);
  }
}

async function showTask(id: string): Promise<void> {
  const { data, error, response } = await api.GET("/api/v1/tasks/{task_id}", {
    params: { path: { task_id: id } },
  });
  if (error || !data) return fail(error, response.status);
  currentTask = id;
  $("detail").hidden = false;
  $("detail-title").textContent = data.title;
  $("detail-status").textContent = data.status;
  $("detail-type").textContent = data.type;
  const activity = $("activity");
  activity.replaceChildren();
  for (const item of data.activity) {
    const li = document.createElement("li");
    li.textContent = `${item.variant}: ${item.action ?? ""} ${item.text ?? ""} (${item.author ?? "system"})`;
    activity.append(li);
  }
}

async function act(action: "claim" | "release" | "complete"): Promise<void> {
  if (!currentTask) return;
  const params = { path: { task_id: currentTask } };
  const result =
    action === "claim"
      ? await api.POST("/api/v1/tasks/{task_id}/claim", { params })
      : action === "release"
        ? await api.POST("/api/v1/tasks/{task_id}/release", { params, body: { reason: "Example app" } })
        : await api.POST("/api/v1/tasks/{task_id}/complete", {
            params,
            body: { hours: Number($<HTMLInputElement>("complete-hours").value) },
          });
  if (result.error || !result.data) return fail(result.error, result.response.status);
  say(`${action}: ${result.data.task.status}, you hold ${result.data.open_claims}`);
  await showTask(currentTask);
}

async function comment(): Promise<void> {
  if (!currentTask) return;
  const { error, response } = await api.POST("/api/v1/tasks/{task_id}/comments", {
    params: { path: { task_id: currentTask } },
    body: { text: $<HTMLInputElement>("comment-text").value },
  });
  if (error) return fail(error, response.status);
  say("Comment posted");
  await showTask(currentTask);
}

async function reportHours(): Promise<void> {
  const { data, error, response } = await api.POST("/api/v1/me/hours", {
    body: {
      kind: "general",
      date: $<HTMLInputElement>("hours-date").value,
      hours: Number($<HTMLInputElement>("hours-hours").value),
      shop: "woodshop",
      description: "Open house (example app)",
    },
  });
  if (error || !data) return fail(error, response.status);
  say(`Reported ${data.hours} h: ${data.status}`);
  await loadHours();
}

async function loadHours(): Promise<void> {
  const { data } = await api.GET("/api/v1/me/hours/summary");
  if (!data) return;
  $("hours-summary").textContent =
    `This month: ${data.hours_approved} h approved, ${data.hours_pending} h pending`;
}

async function loadLeaderboard(): Promise<void> {
  const { data } = await api.GET("/api/v1/leaderboard");
  const rows = $("leaderboard-rows");
  rows.replaceChildren();
  for (const row of data?.items ?? []) {
    const li = document.createElement("li");
    li.textContent = `${row.name}: ${row.points} points${row.is_me ? " (you)" : ""}`;
    rows.append(li);
  }
}

$<HTMLInputElement>("hours-date").value = austinToday();
$("login-button").addEventListener("click", () => void devLogin());
$("logout-button").addEventListener("click", () => void logout());
for (const id of ["filter-shop", "filter-type", "filter-urgency", "filter-status", "filter-sort"]) {
  $(id).addEventListener("change", () => void loadTasks());
}
$("claim-button").addEventListener("click", () => void act("claim"));
$("release-button").addEventListener("click", () => void act("release"));
$("complete-button").addEventListener("click", () => void act("complete"));
$("comment-button").addEventListener("click", () => void comment());
$("hours-report").addEventListener("click", () => void reportHours());
void loadShops().then(loadTasks);
