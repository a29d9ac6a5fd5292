"""Believable Asmbly demo data, built deterministically from a seed. Pure Python.

Assets, problem types, statuses and the description layout follow the real problem-report
flow (reference/asmbly.md section 2.6): ``"{asset} - {summary}"`` titles and
``Problem Type: / Workspace: / Asset: / Summary: / Additional Info:`` descriptions.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shops.catalog import ASMBLY_SHOPS
from tasks.domain import Assignee, Task, TaskStatus, TaskType, Urgency
from volunteers.domain import Role, Volunteer

SLACK_WORKSPACE = "https://asmbly-makerspace.slack.com"
PROBLEM_REPORT_CHANNEL = "C063LH7MB45"
DISCOURSE = "https://yo.asmbly.org"

# (asset, [(summary, additional info, problem type)])
PROBLEMS: dict[str, list[tuple[str, list[tuple[str, str, str]]]]] = {
    "woodshop": [
        (
            "Table Saw 2 - Sawstop",
            [
                (
                    "Blade is dull and burning cuts",
                    "Burn marks on oak rips, blade has a chipped tooth.",
                    "Equipment",
                ),
                (
                    "Brake cartridge fired",
                    "Cartridge fired on a wet board; spare cartridges are in Bin A4.",
                    "Equipment",
                ),
                (
                    "Fence won't lock square",
                    "Fence drifts about 1/32 over 24 inches when locked.",
                    "Equipment",
                ),
            ],
        ),
        (
            "Router Table, Router and lift",
            [
                (
                    "Lift crank slips",
                    "Height changes mid-cut. Set screw on the crank looks stripped.",
                    "Equipment",
                ),
            ],
        ),
        (
            "Laguna Small CNC",
            [
                (
                    "Spindle makes grinding noise",
                    "Noise starts above 12k RPM. Stopped using it.",
                    "Equipment",
                ),
                (
                    "Spoilboard needs resurfacing",
                    "Deep grooves from through-cuts; parts no longer sit flat.",
                    "Equipment",
                ),
            ],
        ),
        ("Jointer", [("Knives need replacing", "Tear-out on every pass, even with the grain.", "Equipment")]),
        (
            "Planer",
            [("Replace blades on planer", "The blades are showing signs of wear and tear.", "Equipment")],
        ),
        (
            "Bandsaw",
            [("Blade keeps wandering", "Tracking adjusts but drifts back after a few cuts.", "Equipment")],
        ),
        (
            "Dust Collector",
            [
                ("Bag is full", "Suction at the table saw port is weak.", "Cleaning"),
                ("Blast gate stuck open", "Gate at the jointer will not close.", "Facilities"),
            ],
        ),
        (
            "Drum Sander",
            [("Sandpaper torn", "Paper tore near the left clip; 120 grit rolls in cabinet B.", "Supplies")],
        ),
    ],
    "metal-shop": [
        (
            "Metal Lathe - Grizzly",
            [
                ("Chuck key missing", "Nobody could find it after Saturday's class.", "Equipment"),
                (
                    "Carriage feed lever sticks",
                    "Needs cleaning and oil; chips packed in the apron.",
                    "Equipment",
                ),
            ],
        ),
        (
            "Tormach PCNC 1100",
            [
                ("Coolant tank low and smells", "Coolant needs a full change and tank clean.", "Equipment"),
                ("Way covers damaged", "Rear way cover is bent and catching the table.", "Equipment"),
            ],
        ),
        (
            "MIG Welder",
            [("Gas regulator leaking", "Hissing at the bottle connection; bottle closed.", "Equipment")],
        ),
        ("Manual Mill", [("DRO reads wrong on X", "Drifts about 0.01 in. over full travel.", "Equipment")]),
        ("Horizontal Bandsaw", [("Coolant pump dead", "Blade overheating on steel.", "Equipment")]),
        ("Grinder", [("Wheel out of round", "Heavy vibration; needs dressing or replacement.", "Equipment")]),
    ],
    "electronics": [
        (
            "Soldering Station 3",
            [("Iron won't heat", "Display shows error E-1, tip stays cold.", "Equipment")],
        ),
        ("Oscilloscope", [("Channel 2 probe broken", "Ground clip snapped off.", "Supplies")]),
        ("Fume Extractor", [("Filter needs replacing", "Filter is brown and smells burnt.", "Supplies")]),
        (
            "Bench Power Supply",
            [("Current limit not working", "Output ignores the CC setting.", "Equipment")],
        ),
    ],
    "lasers": [
        (
            "Dorian",
            [
                ("Mirror 2 dirty, weak cuts", "Cuts need 3 passes in 1/4 ply.", "Equipment"),
                (
                    "Exhaust fan not starting",
                    "Smoke in the room when running; do not use until fixed.",
                    "Equipment",
                ),
            ],
        ),
        ("Tarkin", [("Water chiller alarm", "Chiller beeps with flow error after 10 minutes.", "Equipment")]),
        (
            "Blue - laser",
            [
                (
                    "Honeycomb bed warped",
                    "Material will not sit flat, focus varies across the bed.",
                    "Equipment",
                ),
                ("Air assist weak", "Flames on acrylic; compressor sounds fine.", "Equipment"),
            ],
        ),
    ],
    "3d-printing": [
        ("Prusa MK4 #2", [("Nozzle clogged", "Under-extrusion after the first layer.", "Equipment")]),
        ("Bambu X1C", [("Build plate scratched", "Prints will not stick in the middle.", "Equipment")]),
        ("Form 3 Resin Printer", [("Resin tank film cloudy", "Failed prints near the center.", "Supplies")]),
        ("Filament Dryer", [("Heater not working", "Stays at room temperature.", "Equipment")]),
    ],
    "textiles": [
        ("Juki Industrial Sewing Machine", [("Timing is off", "Skipped stitches on denim.", "Equipment")]),
        ("Embroidery Machine", [("Hoop clamp broken", "Large hoop does not lock.", "Equipment")]),
        ("Serger", [("Lower looper thread keeps breaking", "Re-threaded twice, same issue.", "Equipment")]),
    ],
    "ceramics": [
        ("Kiln 1 (Skutt)", [("Element burned out", "Kiln stalls at 1800F.", "Equipment")]),
        ("Pottery Wheel 4", [("Pedal sticks at full speed", "Wheel runs away; unplugged.", "Equipment")]),
        (
            "Glaze Area",
            [("Glaze buckets need labeling", "Several unlabeled buckets on the shelf.", "Cleaning")],
        ),
        ("Slab Roller", [("Canvas torn", "Replacement canvas is in the ceramics closet.", "Supplies")]),
    ],
    "general": [
        ("Lobby", [("Front door closer slams", "Door slams shut; adjust the closer.", "Facilities")]),
        ("Bathrooms", [("Sink faucet dripping", "Men's room left sink drips constantly.", "Facilities")]),
        ("HVAC", [("Classroom too hot", "Thermostat reads 82F in the afternoon.", "Facilities")]),
        ("Multi-Purpose Room", [("Projector HDMI flaky", "Image cuts out every few minutes.", "Equipment")]),
        ("Hallway", [("Light fixture out", "Two tubes out near the ceramics door.", "Facilities")]),
        ("Studios", [("Studio 3 lock sticks", "Key turns only after jiggling.", "Facilities")]),
    ],
}

PM_FREQUENCIES = ("Monthly", "Quarterly", "Regular", "Semi-Annual", "Annual")
PREVENTATIVE: dict[str, list[tuple[str, str]]] = {
    "woodshop": [("Table Saw 2 - Sawstop", "Blade cleaning"), ("Jointer", "Wax tables and fence")],
    "metal-shop": [("Metal Lathe - Grizzly", "Lubricate ways and change gearbox oil")],
    "lasers": [("Dorian", "Clean mirrors and lens"), ("Tarkin", "Clean exhaust ducting")],
    "3d-printing": [("Prusa MK4 #2", "Clean and lubricate rods")],
    "ceramics": [("Kiln 1 (Skutt)", "Vacuum kiln and check elements")],
    "general": [("HVAC", "Replace air filters")],
}

REPORTERS = ("Jamie", "Chris P.", "Taylor", "Ana", "Devon", "Marcus", "Lena", "Omar")

STATUS_WEIGHTS = (
    (TaskStatus.OPEN, 55),
    (TaskStatus.IN_PROGRESS, 20),
    (TaskStatus.ON_HOLD, 10),
    (TaskStatus.DONE, 15),
)
URGENCY_WEIGHTS = ((Urgency.CRITICAL, 8), (Urgency.HIGH, 22), (Urgency.MEDIUM, 45), (Urgency.LOW, 25))
ESTIMATES = (None, 15, 30, 30, 45, 60, 60, 90, 120, 180, 240)
SHOP_WEIGHTS = {
    "woodshop": 24,
    "metal-shop": 16,
    "electronics": 8,
    "lasers": 12,
    "3d-printing": 10,
    "textiles": 6,
    "ceramics": 8,
    "general": 16,
}


@dataclass(frozen=True)
class DemoData:
    volunteers: list[Volunteer]
    tasks: list[Task]
    shop_leads: dict[str, tuple[str, ...]]


def demo_volunteers(today: date, now: datetime) -> list[Volunteer]:
    """The named cast: members with and without certifications, leads, staff, a lapsed member."""
    active_until = today + timedelta(days=200)

    def member(neon_id: str, name: str, certs: tuple[str, ...], **kw: object) -> Volunteer:
        email = name.lower().split()[0] + "@example.org"
        base: dict[str, object] = {
            "neon_id": neon_id,
            "name": name,
            "email": email,
            "membership_active": True,
            "membership_expires": active_until,
            "certifications": frozenset(certs),
            "updated_at": now,
        }
        base.update(kw)
        return Volunteer(**base)  # type: ignore[arg-type]

    return [
        member("1001", "Alex Rivera", ("84", "680")),
        member("1002", "Priya Natarajan", ("520", "678", "679", "676")),
        member("1003", "Sam Okafor", ()),
        member(
            "1004",
            "Jordan Lee",
            ("84", "440", "677", "274"),
            roles=frozenset({Role.VOLUNTEER, Role.SHOP_LEAD}),
            lead_of=("woodshop",),
        ),
        member(
            "1005",
            "Morgan Chen",
            ("84", "520", "86", "683"),
            roles=frozenset({Role.VOLUNTEER, Role.STAFF}),
        ),
        member(
            "1006",
            "Casey Brooks",
            ("84",),
            membership_active=False,
            membership_expires=today - timedelta(days=45),
        ),
        member(
            "1007",
            "Riley Garcia",
            ("86", "680", "683", "684"),
            roles=frozenset({Role.VOLUNTEER, Role.SHOP_LEAD}),
            lead_of=("lasers", "3d-printing"),
        ),
        member("1008", "Dana Whitfield", ("1248",)),
    ]


def _pick(rng: random.Random, weighted: tuple[tuple[object, int], ...]) -> object:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _slack_permalink(epoch_seconds: int, micros: int) -> str:
    # Slack permalinks are {workspace}/archives/{channel}/p{ts without the dot}.
    return f"{SLACK_WORKSPACE}/archives/{PROBLEM_REPORT_CHANNEL}/p{epoch_seconds}{micros:06d}"


def _clickup_id(rng: random.Random) -> str:
    return "86" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=7))


def build_demo_data(*, tasks: int = 60, seed: int = 1, now: datetime) -> DemoData:
    """``tasks`` tasks spread over the shops; the same seed and ``now`` give the same data."""
    rng = random.Random(seed)
    today = now.date()
    volunteers = demo_volunteers(today, now)
    certified = {
        shop.slug: [
            v for v in volunteers if v.membership_active and not shop.missing_certifications(v.certifications)
        ]
        for shop in ASMBLY_SHOPS
    }
    shops = list(SHOP_WEIGHTS)
    weights = list(SHOP_WEIGHTS.values())
    seen_ids: set[str] = set()
    out: list[Task] = []
    for n in range(tasks):
        shop = rng.choices(shops, weights=weights, k=1)[0]
        task_id = _clickup_id(rng)
        while task_id in seen_ids:
            task_id = _clickup_id(rng)
        seen_ids.add(task_id)
        status = _pick(rng, STATUS_WEIGHTS)
        urgency = _pick(rng, URGENCY_WEIGHTS)
        created = now - timedelta(minutes=rng.randint(30, 60 * 24 * 90))
        updated = min(now, created + timedelta(minutes=rng.randint(0, 60 * 24 * 10)))
        estimate = rng.choice(ESTIMATES)
        if shop in PREVENTATIVE and rng.random() < 0.2:
            asset, summary = rng.choice(PREVENTATIVE[shop])
            title = f"PM: {asset} - {summary}"
            description = f"Preventative maintenance for {asset}.\nChecklist: {summary}."
            task_type, problem_type, contact, extra = TaskType.PREVENTATIVE, None, None, ""
            # Due dates spread from two weeks overdue to three weeks ahead (no rng: the same
            # seed keeps giving the same tasks as before PM dates existed).
            frequency = PM_FREQUENCIES[n % len(PM_FREQUENCIES)]
            due_at = now + timedelta(days=(n * 5) % 35 - 14)
        else:
            frequency = due_at = None
            asset, problems = rng.choice(PROBLEMS[shop])
            summary, extra, problem_type = rng.choice(problems)
            title = f"{asset} - {summary}"
            workspace = next(s for s in ASMBLY_SHOPS if s.slug == shop).clickup_workspace_options[0]
            description = (
                f"Problem Type: {problem_type}\nWorkspace:  {workspace}\nAsset:  {asset}\n"
                f"Summary:  {summary}\nAdditional Info:  {extra}"
            )
            task_type = TaskType.PROBLEM
            contact = (
                f"{rng.choice(REPORTERS)}, 512-555-01{rng.randint(0, 99):02d}" if rng.random() < 0.6 else None
            )
        assignee = None
        if status in (TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD, TaskStatus.DONE) and certified[shop]:
            who = rng.choice(certified[shop])
            assignee = Assignee(neon_id=who.neon_id, name=who.name)
        elif status is not TaskStatus.OPEN:
            status = TaskStatus.OPEN
        ts = int(created.timestamp())
        discourse = (
            f"{DISCOURSE}/t/{title.lower().replace(' ', '-')[:40].strip('-')}/{16000 + n}"
            if urgency in (Urgency.CRITICAL, Urgency.HIGH) and task_type is TaskType.PROBLEM
            else None
        )
        out.append(
            Task(
                id=task_id,
                title=title,
                description=description,
                shop=shop,
                status=status,  # type: ignore[arg-type]
                urgency=urgency,  # type: ignore[arg-type]
                task_type=task_type,
                problem_type=problem_type,
                asset=asset,
                estimate_minutes=estimate,
                assignee=assignee,
                clickup_url=f"https://app.clickup.com/t/{task_id}",
                discourse_url=discourse,
                slack_url=_slack_permalink(ts, rng.randint(0, 999999)),
                list_id="901310067725" if task_type is TaskType.PROBLEM else "901310894771",
                contact_details=contact,
                source_updated_ms=int(updated.timestamp() * 1000),
                created_at=created,
                updated_at=updated,
                due_at=due_at,
                frequency=frequency,
            )
        )
    leads: dict[str, tuple[str, ...]] = {}
    for v in volunteers:
        for shop in v.lead_of:
            leads[shop] = (*leads.get(shop, ()), v.neon_id)
    return DemoData(volunteers=volunteers, tasks=out, shop_leads=leads)
