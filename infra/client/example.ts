// The README's example: claim a task from the dashboard (type-checked in the test suite).
import { createVoldashClient, csrfTokenFromCookie } from "./client";

declare const document: { cookie: string };

export async function claim(taskId: string): Promise<string> {
  const api = createVoldashClient({ getCsrfToken: () => csrfTokenFromCookie(document.cookie) });
  await api.GET("/api/v1/csrf"); // sets the csrftoken cookie if this browser has none yet
  const { data, error, response } = await api.POST("/api/v1/tasks/{task_id}/claim", {
    params: { path: { task_id: taskId } },
  });
  if (error) {
    // error is typed: {code, message, detail}; e.g. 409 task_not_open, 403 claim_limit_reached
    return `${response.status} ${error.code}: ${error.message}`;
  }
  return `Claimed "${data.task.title}"; you now hold ${data.open_claims} task(s).`;
}
