// Type test (tsc -p infra/client, run by tests/test_typescript_client.py): every enumerated
// field of the generated schema is a union of string literals, never `string`. Generated from
// the OpenAPI enums (Literal/enum types in the Ninja schemas); a field that regresses to `string`
// fails to compile here.
import type { components, paths } from "./schema";

type S = components["schemas"];
/** true when `string` is not assignable to T (a union of literals, maybe with null). */
type Closed<T> = [string] extends [T] ? false : [T] extends [never] ? false : true;
type Check<T extends true> = T;
type TasksQuery = NonNullable<paths["/api/v1/tasks"]["get"]["parameters"]["query"]>;
type HoursQuery = NonNullable<paths["/api/v1/me/hours"]["get"]["parameters"]["query"]>;
type AnnouncementsQuery = NonNullable<paths["/api/v1/announcements"]["get"]["parameters"]["query"]>;

export type EnumeratedFieldsAreClosed = [
  Check<Closed<S["TaskOut"]["status"]>>,
  Check<Closed<S["TaskOut"]["urgency"]>>,
  Check<Closed<S["TaskOut"]["task_type"]>>,
  Check<Closed<S["TaskOut"]["type"]>>,
  Check<Closed<S["TaskOut"]["shop"]>>,
  Check<Closed<S["TaskOut"]["due_state"]>>,
  Check<Closed<S["TaskDetailOut"]["status"]>>,
  Check<Closed<S["TaskDetailOut"]["type"]>>,
  Check<Closed<S["TaskDetailOut"]["shop"]>>,
  Check<Closed<S["LocationOut"]["shop"]>>,
  Check<Closed<S["TagOut"]["type"]>>,
  Check<Closed<S["HistoryOut"]["action"]>>,
  Check<Closed<S["HistoryOut"]["source"]>>,
  Check<Closed<S["HistoryOut"]["from_status"]>>,
  Check<Closed<S["HistoryOut"]["to_status"]>>,
  Check<Closed<S["ActivityItemOut"]["variant"]>>,
  Check<Closed<S["ActivityItemOut"]["source"]>>,
  Check<Closed<S["ActivityItemOut"]["action"]>>,
  Check<Closed<S["ActivityOut"]["action"]>>,
  Check<Closed<S["ActivityOut"]["shop"]>>,
  Check<Closed<S["AnnouncementOut"]["type"]>>,
  Check<Closed<S["AnnouncementOut"]["shop"]>>,
  Check<Closed<S["ShopOut"]["slug"]>>,
  Check<Closed<S["ShopOut"]["certification_rule"]>>,
  Check<Closed<S["ShopAccessOut"]["shop"]>>,
  Check<Closed<S["ClaimOut"]["shop"]>>,
  Check<Closed<S["HoursOut"]["status"]>>,
  Check<Closed<S["HoursOut"]["kind"]>>,
  Check<Closed<S["HoursOut"]["shop"]>>,
  Check<Closed<S["ReportHoursIn"]["kind"]>>,
  Check<Closed<S["ReportHoursIn"]["shop"]>>,
  Check<Closed<S["SessionProgressOut"]["kind"]>>,
  Check<Closed<S["RewardOut"]["status"]>>,
  Check<Closed<S["BadgeOut"]["id"]>>,
  Check<Closed<S["ReportIn"]["problem_type"]>>,
  Check<Closed<S["ReportIn"]["area"]>>,
  Check<Closed<S["ReportStatusOut"]["status"]>>,
  Check<Closed<S["ReportStatusOut"]["shop"]>>,
  Check<Closed<S["ReportStatusOut"]["area"]>>,
  Check<Closed<S["ErrorOut"]["code"]>>,
  Check<Closed<S["FieldErrorOut"]["code"]>>,
  Check<Closed<S["HealthOut"]["status"]>>,
  Check<Closed<TasksQuery["status"]>>,
  Check<Closed<TasksQuery["urgency"]>>,
  Check<Closed<TasksQuery["type"]>>,
  Check<Closed<TasksQuery["time"]>>,
  Check<Closed<TasksQuery["sort"]>>,
  Check<Closed<TasksQuery["shop"]>>,
  Check<Closed<HoursQuery["status"]>>,
  Check<Closed<HoursQuery["format"]>>,
  Check<Closed<AnnouncementsQuery["shop"]>>,
];

// The checker itself: a plain `string` must fail.
// @ts-expect-error string is not a closed union
export type CheckerRefusesString = Check<Closed<string | null>>;
// "facilities" is one of the task's types (the `type` filter's values).
export const facilities: S["TaskOut"]["type"] = "facilities";
