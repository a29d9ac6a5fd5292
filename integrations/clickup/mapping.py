"""The Asmbly ClickUp mapping: data in ``asmbly.yaml``, validated, and the normalization of a
ClickUp task into a voldash ``Task``. Pure Python (PyYAML only to read the file)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from shops.catalog import SHOP_SLUGS
from tasks.domain import (
    IMAGE_EXTENSIONS,
    LINK_HOSTS,
    MAX_ATTACHMENTS,
    MAX_CHECKLIST_STEPS,
    Attachment,
    ChecklistStep,
    Reporter,
    Task,
    TaskExtras,
    TaskStatus,
    TaskType,
    Urgency,
    attachment_url,
    https_url,
)

MAPPING_FILE = Path(__file__).with_name("asmbly.yaml")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PRIORITIES = ("urgent", "high", "normal", "low")


class MappingError(ValueError):
    """The mapping file is wrong; the message names the entry."""


def _fold(name: str) -> str:
    return re.sub(r"[\s\-_]+", " ", name.strip().lower())


@dataclass(frozen=True)
class ListMapping:
    list_id: str
    name: str
    task_type: TaskType
    statuses: dict[str, TaskStatus]  # folded ClickUp status name -> our status
    write_back: dict[TaskStatus, str]  # our status -> the ClickUp status name we set


@dataclass(frozen=True)
class ClickUpMapping:
    lists: dict[str, ListMapping]
    fields: dict[str, str]
    workspaces: dict[str, str]  # folded option name -> shop slug
    default_shop: str
    priorities: dict[str, Urgency]
    discourse_urgencies: frozenset[Urgency] = frozenset()
    discourse_category_id: int | None = None
    unknown: list[str] = field(default_factory=list)

    def list_for(self, list_id: str | None) -> ListMapping | None:
        return self.lists.get(str(list_id)) if list_id is not None else None

    def shop_for(self, option_name: str | None) -> str | None:
        return self.workspaces.get(_fold(option_name)) if option_name else None


def load_mapping(path: Path = MAPPING_FILE) -> ClickUpMapping:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"{path.name}: not valid YAML: {exc}") from exc
    return parse_mapping(raw, source=path.name)


def parse_mapping(raw: Any, *, source: str = "mapping") -> ClickUpMapping:
    if not isinstance(raw, dict):
        raise MappingError(f"{source}: expected a mapping at the top level")
    errors: list[str] = []
    statuses = {s.value for s in TaskStatus}
    lists: dict[str, ListMapping] = {}
    for list_id, spec in (raw.get("lists") or {}).items():
        where = f"{source}: lists.{list_id}"
        if not str(list_id).isdigit():
            errors.append(f"{where}: a ClickUp list id is a number")
            continue
        if not isinstance(spec, dict):
            errors.append(f"{where}: expected name, task_type and statuses")
            continue
        try:
            task_type = TaskType(spec.get("task_type", "problem"))
        except ValueError:
            errors.append(f"{where}.task_type: {spec.get('task_type')!r} is not one of problem, preventative")
            continue
        mapped: dict[str, TaskStatus] = {}
        write_back: dict[TaskStatus, str] = {}
        for name, ours in (spec.get("statuses") or {}).items():
            if ours not in statuses:
                errors.append(
                    f"{where}.statuses[{name!r}]: {ours!r} is not one of {', '.join(sorted(statuses))}"
                )
                continue
            mapped[_fold(str(name))] = TaskStatus(ours)
            write_back.setdefault(TaskStatus(ours), str(name))
        for needed in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.DONE):
            if needed not in write_back:
                errors.append(f"{where}.statuses: no ClickUp status maps to {needed.value}")
        lists[str(list_id)] = ListMapping(
            str(list_id), str(spec.get("name", list_id)), task_type, mapped, write_back
        )
    if not lists:
        errors.append(f"{source}: lists: at least one list must be synced")
    fields = {str(k): str(v) for k, v in (raw.get("fields") or {}).items()}
    for key, value in fields.items():
        if not _UUID.match(value):
            errors.append(f"{source}: fields.{key}: {value!r} is not a ClickUp custom field id (a UUID)")
    if "workspace" not in fields:
        errors.append(f"{source}: fields.workspace is required (the drop-down that names the shop)")
    workspaces: dict[str, str] = {}
    for option, slug in (raw.get("workspaces") or {}).items():
        if slug not in SHOP_SLUGS:
            errors.append(
                f"{source}: workspaces[{option!r}]: {slug!r} is not a shop ({', '.join(SHOP_SLUGS)})"
            )
        workspaces[_fold(str(option))] = str(slug)
    default_shop = raw.get("default_shop", "general")
    if default_shop not in SHOP_SLUGS:
        errors.append(f"{source}: default_shop: {default_shop!r} is not a shop")
    priorities: dict[str, Urgency] = {}
    for name, urgency in (raw.get("priorities") or {}).items():
        if name not in _PRIORITIES:
            errors.append(
                f"{source}: priorities[{name!r}]: not a ClickUp priority ({', '.join(_PRIORITIES)})"
            )
            continue
        try:
            priorities[name] = Urgency(urgency)
        except ValueError:
            errors.append(f"{source}: priorities[{name!r}]: {urgency!r} is not an urgency")
    discourse = raw.get("discourse") or {}
    urgencies: set[Urgency] = set()
    for value in discourse.get("urgencies") or []:
        try:
            urgencies.add(Urgency(value))
        except ValueError:
            errors.append(f"{source}: discourse.urgencies: {value!r} is not an urgency")
    category = discourse.get("category_id")
    if category is not None and not isinstance(category, int):
        errors.append(f"{source}: discourse.category_id: {category!r} is not a number")
    if errors:
        raise MappingError("; ".join(errors))
    return ClickUpMapping(
        lists=lists,
        fields=fields,
        workspaces=workspaces,
        default_shop=default_shop,
        priorities=priorities,
        discourse_urgencies=frozenset(urgencies),
        discourse_category_id=category,
    )


# -- normalizing a ClickUp task ------------------------------------------------------------


def _ms(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def _from_ms(value: Any) -> datetime | None:
    ms = _ms(value)
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else None


def _field(task: dict[str, Any], field_id: str | None) -> dict[str, Any] | None:
    if not field_id:
        return None
    for f in task.get("custom_fields") or []:
        if isinstance(f, dict) and f.get("id") == field_id:
            return f
    return None


def dropdown_name(field_obj: dict[str, Any] | None) -> str | None:
    """The selected option's name. ClickUp gives the option's UUID (webhooks) or its
    orderindex (Get Task); both are resolved through ``type_config.options``."""
    if not field_obj or "value" not in field_obj or field_obj["value"] in (None, ""):
        return None
    value = field_obj["value"]
    options = (field_obj.get("type_config") or {}).get("options") or []
    for option in options:
        if isinstance(value, str) and option.get("id") == value:
            return option.get("name")
        if isinstance(value, int | str) and str(option.get("orderindex")) == str(value):
            return option.get("name")
    return None


def _text_field(task: dict[str, Any], field_id: str | None) -> str | None:
    f = _field(task, field_id)
    if not f or f.get("value") in (None, ""):
        return None
    value = f["value"]
    if isinstance(value, list):  # relationships: [{id, name}]
        names = [v.get("name") for v in value if isinstance(v, dict) and v.get("name")]
        return ", ".join(names) or None
    return str(value).strip() or None


_DESCRIPTION_ASSET = re.compile(r"^(?:Asset|Equipment):\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Normalized:
    task: Task | None  # None: the task is not in a synced list
    list_id: str | None
    reason: str = ""  # why it was not mapped, or what fell back to a default


def normalize_task(raw: dict[str, Any], mapping: ClickUpMapping, *, now: datetime) -> Normalized:
    """A ClickUp task object (Get Task / Get Tasks / automation payload) as a voldash Task."""
    list_id = str((raw.get("list") or {}).get("id") or "") or None
    lm = mapping.list_for(list_id)
    if lm is None:
        return Normalized(None, list_id, reason=f"list {list_id} is not synced")
    notes = []
    status_name = str((raw.get("status") or {}).get("status") or "")
    status = lm.statuses.get(_fold(status_name))
    if status is None:
        kind = (raw.get("status") or {}).get("type")
        status = {"open": TaskStatus.OPEN, "closed": TaskStatus.DONE, "done": TaskStatus.DONE}.get(
            kind, TaskStatus.IN_PROGRESS
        )
        notes.append(f"unknown status {status_name!r} read as {status.value}")
    workspace = dropdown_name(_field(raw, mapping.fields.get("workspace")))
    shop = mapping.shop_for(workspace)
    if shop is None:
        shop = mapping.default_shop
        notes.append(f"workspace {workspace!r} -> {shop}")
    priority = (raw.get("priority") or {}).get("priority") if isinstance(raw.get("priority"), dict) else None
    urgency = mapping.priorities.get(str(priority).lower(), Urgency.MEDIUM) if priority else Urgency.MEDIUM
    estimate_ms = _ms(raw.get("time_estimate"))
    description = str(raw.get("text_content") or raw.get("description") or "").strip()
    asset = _text_field(raw, mapping.fields.get("asset"))
    if asset is None:
        match = _DESCRIPTION_ASSET.search(description)
        asset = match.group(1).strip() if match else None
    created = _from_ms(raw.get("date_created")) or now
    updated = _from_ms(raw.get("date_updated")) or created
    task_id = str(raw.get("id"))
    task = Task(
        id=task_id,
        title=str(raw.get("name") or "(untitled)").strip()[:500],
        description=description[:20000],
        shop=shop,
        status=status,
        urgency=urgency,
        task_type=lm.task_type,
        problem_type=dropdown_name(_field(raw, mapping.fields.get("problem_type"))),
        asset=asset,
        estimate_minutes=round(estimate_ms / 60000) if estimate_ms else None,
        clickup_url=https_url(raw.get("url"), host_suffix=LINK_HOSTS["clickup_url"])
        or f"https://app.clickup.com/t/{task_id}",
        discourse_url=_text_field(raw, mapping.fields.get("discourse_post")),
        slack_url=_text_field(raw, mapping.fields.get("slack_post")),
        list_id=list_id,
        contact_details=_text_field(raw, mapping.fields.get("contact_details")),
        source_updated_ms=_ms(raw.get("date_updated")),
        deleted=bool(raw.get("archived")),
        tags=tuple(
            str(t.get("name")) for t in raw.get("tags") or [] if isinstance(t, dict) and t.get("name")
        ),
        due_at=_from_ms(raw.get("due_date")),
        frequency=dropdown_name(_field(raw, mapping.fields.get("frequency"))),
        created_at=created,
        updated_at=updated,
    )
    return Normalized(task, list_id, reason="; ".join(notes))


# Who reported a task, as far as ClickUp says: problem-form tasks are created by the form's
# ClickUp user (their description starts with the form's "Problem Type:" line); other tasks were
# made in ClickUp by the facilities team (volunteers have no ClickUp seats).
FORM_ROLE = "Problem report form"
CLICKUP_ROLE = "Facilities team (ClickUp)"


def _clip(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def normalize_extras(raw: dict[str, Any]) -> TaskExtras:
    """Reporter, attachments and checklist of a ClickUp task object (Get Task shape). Anything
    malformed is skipped; attachment links are kept only when https on ClickUp's hosts."""
    creator = raw.get("creator") if isinstance(raw.get("creator"), dict) else {}
    name = _clip(creator.get("username"), 200)
    description = str(raw.get("text_content") or raw.get("description") or "")
    role = FORM_ROLE if description.lstrip().startswith("Problem Type:") else CLICKUP_ROLE
    reporter = Reporter(name=name, role=role) if name else None
    attachments: list[Attachment] = []
    for a in raw.get("attachments") or []:
        if not isinstance(a, dict) or len(attachments) >= MAX_ATTACHMENTS or a.get("deleted"):
            continue
        url = attachment_url(a.get("url"))
        if url is None:
            continue
        title = _clip(a.get("title"), 200) or "attachment"
        extension = _clip(a.get("extension"), 10).lower() or title.rsplit(".", 1)[-1].lower()
        mimetype = str(a.get("mimetype") or "")
        attachments.append(
            Attachment(
                title=title,
                url=url,
                is_image=mimetype.startswith("image/") or extension in IMAGE_EXTENSIONS,
                thumbnail_url=attachment_url(a.get("thumbnail_large") or a.get("thumbnail_small")),
            )
        )
    steps: list[ChecklistStep] = []
    checklists = [c for c in raw.get("checklists") or [] if isinstance(c, dict)]
    for checklist in sorted(checklists, key=lambda c: _order(c.get("orderindex"))):
        items = [i for i in checklist.get("items") or [] if isinstance(i, dict)]
        for item in sorted(items, key=lambda i: _order(i.get("orderindex"))):
            if len(steps) >= MAX_CHECKLIST_STEPS or not item.get("id") or not checklist.get("id"):
                continue
            steps.append(
                ChecklistStep(
                    id=_clip(item["id"], 64),
                    checklist_id=_clip(checklist["id"], 64),
                    checklist_name=_clip(checklist.get("name"), 200),
                    name=_clip(item.get("name"), 500),
                    resolved=item.get("resolved") is True,
                )
            )
    return TaskExtras(
        reporter=reporter,
        attachments=tuple(attachments),
        checklist=tuple(steps),
        source_updated_ms=_ms(raw.get("date_updated")),
    )


def _order(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
